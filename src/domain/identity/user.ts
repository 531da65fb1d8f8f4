// The user aggregate: stream `user-<uuid>`.

import { DomainError, type Decider } from '../decider.js';
import { isConsentPurpose, NO_CONSENTS, type ConsentPurpose, type Consents } from './consent.js';
import type { Role } from './roles.js';
import type { UserEvent } from './user-events.js';
import { nameTextProblem } from '../text/storable-text.js';

export type UserCommand =
  | { type: 'RegisterUser'; userId: string; email: string; displayName: string; passwordHash: string; role: Role }
  | { type: 'ChangeUserRole'; role: Role }
  | { type: 'ChangeUserPassword'; passwordHash: string }
  | { type: 'DeactivateUser'; reason: string }
  /**
   * Consent to `purpose` under the policy version the user saw. `current` is the policy published
   * now (its version and the sha256 of its text): a consent to any other version is refused.
   */
  | { type: 'GiveConsent'; purpose: ConsentPurpose; policyVersion: string; current: { version: string; textSha256: string } }
  | { type: 'WithdrawConsent'; purpose: ConsentPurpose }
  | { type: 'EraseUser'; erasureId: string };

export type UserState =
  | { status: 'none' }
  | { status: 'active' | 'deactivated'; userId: string; email: string; displayName: string; passwordHash: string; role: Role; consents: Consents }
  /** Erased: the personal fields are gone with their keys; every command but a repeated EraseUser is refused. */
  | { status: 'erased'; userId: string; erasureId: string; consents: Consents };

const deactivated = () => new DomainError('conflict', 'user_deactivated', 'the user is deactivated');
const erased = () => new DomainError('conflict', 'user_erased', 'this account has been erased');

function purposeOf(purpose: unknown): ConsentPurpose {
  if (!isConsentPurpose(purpose)) throw new DomainError('invalid', 'invalid_purpose', 'no such consent purpose');
  return purpose;
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (state.status === 'erased') {
      if (command.type === 'EraseUser') return [];
      throw erased();
    }
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
        if (state.status === 'deactivated') throw deactivated();
        if (state.role === command.role) return [];
        return [{ type: 'UserRoleChanged', data: { role: command.role, previousRole: state.role } }];
      case 'ChangeUserPassword':
        if (state.status === 'deactivated') throw deactivated();
        return [{ type: 'UserPasswordChanged', data: { passwordHash: command.passwordHash } }];
      case 'DeactivateUser':
        if (state.status === 'deactivated') return [];
        return [{ type: 'UserDeactivated', data: { reason: command.reason } }];
      case 'GiveConsent': {
        const purpose = purposeOf(command.purpose);
        if (state.status === 'deactivated') throw deactivated();
        if (command.policyVersion !== command.current.version) {
          throw new DomainError('conflict', 'policy_version_mismatch', `the published policy is version ${command.current.version}; read it (GET /v1/privacy/policy) and consent to that version`);
        }
        const now = state.consents[purpose];
        // The same consent again (same version, same text) records nothing.
        if (now.given && now.policyVersion === command.current.version && now.textSha256 === command.current.textSha256) return [];
        return [{ type: 'ConsentGiven', data: { purpose, policyVersion: command.current.version, textSha256: command.current.textSha256 } }];
      }
      case 'WithdrawConsent': {
        // Withdrawing is allowed whatever else holds (also for a deactivated account): it only
        // ever stops collection. A consent not given is withdrawn already: nothing is recorded.
        const purpose = purposeOf(command.purpose);
        if (!state.consents[purpose].given) return [];
        return [{ type: 'ConsentWithdrawn', data: { purpose } }];
      }
      case 'EraseUser':
        return [{ type: 'UserErased', data: { erasureId: command.erasureId } }];
    }
  },

  evolve(state, event) {
    if (event.type === 'UserRegistered') return { status: 'active', ...event.data, consents: NO_CONSENTS };
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'UserErased':
        return { status: 'erased', userId: state.userId, erasureId: event.data.erasureId, consents: state.consents };
      case 'ConsentGiven': {
        const { purpose, policyVersion, textSha256 } = event.data;
        const before = state.consents[purpose];
        return before ? { ...state, consents: { ...state.consents, [purpose]: { given: true, policyVersion, textSha256, withdrawals: before.withdrawals } } } : state;
      }
      case 'ConsentWithdrawn': {
        const before = state.consents[event.data.purpose];
        return before ? { ...state, consents: { ...state.consents, [event.data.purpose]: { ...before, given: false, withdrawals: before.withdrawals + 1 } } } : state;
      }
    }
    if (state.status === 'erased') return state;
    switch (event.type) {
      case 'UserRoleChanged':
        return { ...state, role: event.data.role };
      case 'UserPasswordChanged':
        return { ...state, passwordHash: event.data.passwordHash };
      case 'UserDeactivated':
        return { ...state, status: 'deactivated' };
    }
  },
};
