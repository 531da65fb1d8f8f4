// The access log's REST routes: /v1/audit/access (staff) and /v1/me/access (a user).

import type { RouteGroup } from '../../route-group.js';
import { accessRoutes } from './access.js';

export const accessRouteGroup: RouteGroup = {
  name: 'access',
  register(app, s) {
    accessRoutes(app, { query: s.accessQuery, authenticate: s.guards.authenticate, requireRole: s.guards.requireRole, ensureConsistent: s.ensureConsistent });
  },
};
