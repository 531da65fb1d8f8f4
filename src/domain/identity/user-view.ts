// The user view: a user as the read side shows it (never the password hash), folded from the
// stream `user-<uuid>`. The one fold behind the users projection (rm.users) and time travel.

import type { EventMeta, ViewFold } from '../view-fold.js';
import type { Role } from './roles.js';
import type { UserEvent } from './user-events.js';

export const USER_STATUSES = ['active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserViewState {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  status: UserStatus;
  createdAt: Date;
  updatedAt: Date;
  /** Revision of the last event folded. */
  revision: bigint;
}

const touched = (view: UserViewState, meta: EventMeta, changes: Partial<UserViewState>): UserViewState => ({
  ...view,
  ...changes,
  updatedAt: meta.recordedAt,
  revision: meta.revision,
});

export const userViewFold: ViewFold<UserEvent, UserViewState> = {
  initialState: undefined,

  evolve(view, event, meta) {
    if (event.type === 'UserRegistered') {
      if (view) return view; // cannot happen: the decider refuses a second registration
      const d = event.data;
      return { userId: d.userId, email: d.email, displayName: d.displayName, role: d.role, status: 'active', createdAt: meta.recordedAt, updatedAt: meta.recordedAt, revision: meta.revision };
    }
    if (!view) return view; // nothing before the registration shapes a user
    switch (event.type) {
      case 'UserRoleChanged':
        return touched(view, meta, { role: event.data.role });
      case 'UserPasswordChanged':
        return touched(view, meta, {});
      case 'UserDeactivated':
        return touched(view, meta, { status: 'deactivated' });
      default:
        return view; // an event this view does not read
    }
  },
};
