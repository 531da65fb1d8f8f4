// The audit feature's REST routes: /v1/audit/* (auditors and admins).

import type { RouteGroup } from '../../route-group.js';
import { auditRoutes } from './audit.js';
import { isProofRefusal, NotaryProofs } from '../../../notary/proof-service.js';
import { proofRoutes } from './proofs.js';

export const auditRouteGroup: RouteGroup = {
  name: 'audit',
  register(app, s) {
    auditRoutes(app, { store: s.rt.eventStore, requireRole: s.guards.requireRole, access: { log: s.accessLog, owners: s.imageOwners }, stored: { store: s.rt.storedEventStore, pool: s.rt.pool } });
    // Proofs read the log as stored (the canonical form hashes ciphertext, never opened data).
    proofRoutes(app, { proofs: new NotaryProofs(s.rt.pool, s.rt.storedEventStore), requireRole: s.guards.requireRole, isRefusal: isProofRefusal });
  },
};
