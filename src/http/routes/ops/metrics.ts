// HTTP side of the metrics: an onResponse hook timing every request into
// facetrail_http_request_duration_seconds (route = the route pattern, `unmatched` for 404s, so ids
// never become labels), and GET /metrics in the Prometheus text format. With METRICS_TOKEN set,
// /metrics needs `Authorization: Bearer <token>` (401 problem+json otherwise); without it the
// endpoint is open and must not be reachable from public networks.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../problem.js';
import type { Metrics } from '../../../metrics/metrics.js';
import { responses, text } from '../../schemas.js';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsRoutes(app: FastifyInstance, metrics: Metrics, opts: { token: string | undefined }): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_class: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
    done();
  });

  const schema = {
    tags: ['ops'],
    summary: 'Prometheus metrics (text exposition format); with METRICS_TOKEN set, it needs Authorization: Bearer <METRICS_TOKEN>',
    // Open without METRICS_TOKEN ({}), else the token.
    security: [{}, { metricsToken: [] }] as Record<string, string[]>[],
    response: responses({ 200: text('Prometheus text exposition format 0.0.4', 'text/plain', '# TYPE facetrail_http_request_duration_seconds histogram\n') }, { 401: ['missing_token', 'invalid_token'] }),
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    if (opts.token !== undefined) {
      const header = request.headers.authorization;
      const given = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
      if (given === undefined) throw new HttpProblem(401, 'missing_token', 'Unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      if (!sameToken(given, opts.token)) throw new HttpProblem(401, 'invalid_token', 'Unauthorized', 'the metrics token is not valid');
    }
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
