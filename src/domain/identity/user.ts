// The user aggregate: stream `user-<uuid>`.

import { DomainError, type Decider } from '../decider.js';
import type { Role } from './roles.js';
import type { UserEvent } from './user-events.js';
import { nameTextProblem } from '../text/storable-text.js';

export type UserCommand =
  | { type: 'RegisterUser'; userId: string; email: string; displayName: string; passwordHash: string; role: Role }
  | { type: 'ChangeUserRole'; role: Role }
  | { type: 'ChangeUserPassword'; passwordHash: string }
  | { type: 'DeactivateUser'; reason: string };

export type UserState =
  | { status: 'none' }
  | { status: 'active' | 'deactivated'; userId: string; email: string; displayName: string; passwordHash: string; role: Role };

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (command.type === 'RegisterUser') {
      if (state.status !== 'none') throw new DomainError('conflict', 'user_exists', 'this user is already registered');
      const { userId, email, displayName, passwordHash, role } = command;
      // Whatever the use case checked: a name or address the log cannot hold is never decided.
      if (nameTextProblem(email) !== undefined) throw new DomainError('invalid', 'invalid_email', 'this is not a valid e-mail address');
      const nameProblem = nameTextProblem(displayName);
      if (nameProblem) throw new DomainError('invalid', 'invalid_display_name', `display name ${nameProblem}`);
      return [{ type: 'UserRegistered', data: { userId, email, displayName, passwordHash, role } }];
    }
    if (state.status === 'none') throw new DomainError('not_found', 'user_not_found', 'no such user');
    switch (command.type) {
      case 'ChangeUserRole':
        if (state.status === 'deactivated') throw new DomainError('conflict', 'user_deactivated', 'the user is deactivated');
        if (state.role === command.role) return [];
        return [{ type: 'UserRoleChanged', data: { role: command.role, previousRole: state.role } }];
      case 'ChangeUserPassword':
        if (state.status === 'deactivated') throw new DomainError('conflict', 'user_deactivated', 'the user is deactivated');
        return [{ type: 'UserPasswordChanged', data: { passwordHash: command.passwordHash } }];
      case 'DeactivateUser':
        if (state.status === 'deactivated') return [];
        return [{ type: 'UserDeactivated', data: { reason: command.reason } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { status: 'active', ...event.data };
      case 'UserRoleChanged':
        return state.status === 'none' ? state : { ...state, role: event.data.role };
      case 'UserPasswordChanged':
        return state.status === 'none' ? state : { ...state, passwordHash: event.data.passwordHash };
      case 'UserDeactivated':
        return state.status === 'none' ? state : { ...state, status: 'deactivated' };
    }
  },
};
