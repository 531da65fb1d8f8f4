// One log line per request, when it completes: `request completed` with the method, the route
// pattern (`/v1/images/:imageId`; the URL path is logged too, without its query string, which may
// hold cursors or tokens), the status and the time taken. Fastify's own pair of lines (incoming,
// completed with only the status) is switched off in app.ts (disableRequestLogging).

import type { FastifyInstance } from 'fastify';

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const fields = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    // 5xx are logged where they happen (error handler) too; a client's error is not the server's.
    if (status >= 500) request.log.warn(fields, 'request completed');
    else request.log.info(fields, 'request completed');
  });
}
