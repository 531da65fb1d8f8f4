// A route group: one feature's REST routes (or its GraphQL endpoint), registered over the app's
// services. src/http/route-groups.ts lists them; buildApp registers them in that order.

import type { FastifyInstance } from 'fastify';
import type { ApiServices } from './api-services.js';

export interface RouteGroup {
  name: string;
  register(app: FastifyInstance, services: ApiServices): void | Promise<void>;
}
