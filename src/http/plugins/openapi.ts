// OpenAPI 3.1 generated from the route schemas (app.swagger()), served at /docs (UI) and /docs/json
// when API_DOCS is on (the default outside production): a public API map is opt-in in production.

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, opts: { serve: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'facetrail API',
        version: '1.0.0',
        description:
          'Event-sourced face analysis. Commands answer with the `position` of their last event; reads accept `consistentWith=<position>` to read their own writes. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  if (opts.serve) await app.register(swaggerUi, { routePrefix: '/docs' });
}
