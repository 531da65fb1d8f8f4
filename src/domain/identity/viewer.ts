// Who is asking: the user a read is made for, or who issues a command. A role, not a session:
// what a request may see or do depends only on these two.

import type { Role } from './roles.js';

export interface Viewer {
  userId: string;
  role: Role;
}

/** The viewer of an authenticated caller (drops what else the caller carries, e.g. the session). */
export const viewerOf = (caller: Viewer): Viewer => ({ userId: caller.userId, role: caller.role });
