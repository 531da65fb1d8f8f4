// The fastify application: plugins, error handling, health and metrics, then every route group of
// src/http/route-groups.ts over the services of api-services.ts, built over the process's shared
// resources (src/runtime.ts) so tests can build it against their own database.

import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CacheObserver } from '../queries/cache/read-cache.js';
import { buildApiServices, type AppRuntime } from './api-services.js';
import { errorHandler } from './error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerSecurity } from './plugins/security.js';
import { registerNotFound } from './not-found.js';
import { registerRequestLog } from './request-log.js';
import { redisAddress } from '../db/redis-outage.js';
import { rateLimitProblem } from './rate-limit-problem.js';
import { routeGroups } from './route-groups.js';
import { serverTimeoutOptions } from './server-timeouts.js';
import { registerTextGuard } from './text-guard.js';
import { healthRoutes } from './routes/ops/health.js';
import { metricsRoutes } from './routes/ops/metrics.js';
import { ProblemSchema } from './schemas.js';


export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppOptions {
  /** Serve the API; false: only /healthz, /readyz and /metrics (projector and worker roles). */
  api?: boolean;
  /** Told the outcome of every read-cache lookup (hit, miss, error, bypass); default: the runtime metrics. */
  onCacheResult?: CacheObserver;
  /** Told every response (tests: which requests were rejected, by request id = correlation id). */
  onResponse?: (request: { id: string; method: string; url: string }, statusCode: number) => void;
}

export async function buildApp(rt: AppRuntime, opts: AppOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = rt.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    // A caller's X-Request-Id (if sane) becomes the correlation id of the events it causes.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // Fastify's per-request lines off: one line per request instead, with method, route and status (request-log.ts).
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    // Request, header, idle and keep-alive timeouts (HTTP_*_TIMEOUT_MS); client errors as problem+json.
    ...serverTimeoutOptions(rt.config.http),
    // allErrors: a 400 lists every problem of the body at once (src/http/validation-errors.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });
  app.setErrorHandler(errorHandler);
  registerRequestLog(app);
  // No string a client sends may hold text that cannot be stored (NUL, lone surrogates): 400 invalid_text.
  registerTextGuard(app);
  const observe = opts.onResponse;
  if (observe) app.addHook('onResponse', async (request, reply) => observe(request, reply.statusCode));
  registerNotFound(app); // 405 with Allow for a known path, else 404
  // The document covers health and metrics too: it watches every route registered after it.
  app.addSchema(ProblemSchema);
  if (opts.api !== false) await registerOpenApi(app, { serve: rt.config.http.docs });
  metricsRoutes(app, rt.metrics, { token: rt.config.metrics.token });
  healthRoutes(app, {
    postgres: async () => {
      await rt.pool.query('select 1');
    },
    redis: async () => {
      // ioredis' own message for a command while disconnected ("Stream isn't writeable …") says nothing useful.
      if (rt.redis.status !== 'ready') throw new Error(`unreachable at ${redisAddress(rt.config.redisUrl)}`);
      await rt.redis.ping();
    },
    eventStore: () => rt.eventStore.ping(),
  });
  if (opts.api === false) return app;

  await registerSecurity(app, rt.config.http.corsOrigins);
  await app.register(rateLimit, {
    global: false,
    redis: rt.redis,
    nameSpace: `${rt.config.redisKeyPrefix}v1:rate-limit:`,
    skipOnError: true, // Redis down: no per-IP limit rather than no login at all (logged by the Redis client)
    errorResponseBuilder: rateLimitProblem(), // each limiter passes its own, naming its window
  });

  await app.register(multipart, { limits: { fileSize: rt.config.images.maxUploadBytes, files: 1, fields: 10, parts: 11, fieldSize: 1024 } });

  const services = buildApiServices(rt, { onCacheResult: opts.onCacheResult });
  app.addHook('onClose', (_app, done) => {
    services.close();
    done();
  });
  for (const group of routeGroups) await group.register(app, services);
  return app;
}
