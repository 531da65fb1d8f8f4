// The fastify application: plugins, error handling and routes. It receives its dependencies
// (built in src/runtime.ts) so tests can build it against their own database.

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorHandler, problemBody, sendProblem } from './problem.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';

export interface AppDeps {
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

export const BODY_LIMIT_BYTES = 1024 * 1024;

export function buildApp(deps: AppDeps): FastifyInstance {
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    disableRequestLogging: false,
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemBody({ status: 404, code: 'not_found', title: 'Not found', detail: `no route ${request.method} ${request.url.split('?')[0]}`, instance: request.url })),
  );
  healthRoutes(app, deps.readiness);
  return app;
}
