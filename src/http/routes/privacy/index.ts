// The privacy feature's erasure routes (the policy and consents are in the identity group).

import type { RouteGroup } from '../../route-group.js';
import { erasureRoutes } from './erasure.js';

export const privacyRouteGroup: RouteGroup = {
  name: 'privacy',
  register(app, s) {
    erasureRoutes(app, { erasures: s.erasures, authenticate: s.guards.authenticate, requireRole: s.guards.requireRole, access: s.access, waitMs: s.rt.config.http.consistencyTimeoutMs });
  },
};
