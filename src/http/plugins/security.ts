// Security headers (helmet) and CORS on every route.
// helmet's middleware is built once here and applied to each request's raw response: the fastify
// wrapper (@fastify/helmet) rebuilt it, CSP parsing included, on every request (about 4 % of the
// CPU of a cached read).

import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

export async function registerSecurity(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  const securityHeaders = helmet({
    // The Swagger UI at /docs needs inline scripts and styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
  await app.register(cors, {
    origin: corsOrigins.length > 0 ? corsOrigins : false,
    credentials: false,
    exposedHeaders: ['location', 'etag', 'retry-after'],
  });
}
