// The audit feature's REST routes: /v1/audit/* (auditors and admins).

import type { RouteGroup } from '../../route-group.js';
import { auditRoutes } from './audit.js';

export const auditRouteGroup: RouteGroup = {
  name: 'audit',
  register(app, s) {
    auditRoutes(app, { store: s.rt.eventStore, requireRole: s.guards.requireRole, access: { log: s.accessLog, owners: s.imageOwners } });
  },
};
