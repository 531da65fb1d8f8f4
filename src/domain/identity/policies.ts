// Role policies shared by every feature and every interface (REST, GraphQL, time travel, the cache).

import type { Role } from './roles.js';
import type { Viewer } from './viewer.js';

/** The staff: auditors and admins. They see every user, every image and the audit feed (REST and GraphQL). */
export const STAFF_ROLES = ['auditor', 'admin'] as const satisfies readonly Role[];

export function isStaff(role: Role): boolean {
  return (STAFF_ROLES as readonly Role[]).includes(role);
}

/** Who may see user X (and X as they were): X themself and the staff. */
export function maySeeUser(viewer: Viewer, userId: string): boolean {
  return viewer.userId === userId || isStaff(viewer.role);
}
