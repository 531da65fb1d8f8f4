import { describe, it } from 'vitest';
import { userDecider } from '../../../src/domain/identity/user.js';
import type { UserEvent } from '../../../src/domain/identity/user-events.js';
import { given } from '../../support/given-when-then.js';

const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u1', email: 'ada@example.com', displayName: 'Ada', passwordHash: 'h1', role: 'user' },
};
const register = { type: 'RegisterUser' as const, userId: 'u1', email: 'ada@example.com', displayName: 'Ada', passwordHash: 'h1', role: 'user' as const };

describe('user decider', () => {
  it('registers a new user', () => given(userDecider).when(register).then([registered]));
  it('refuses to register twice', () => given(userDecider, [registered]).when(register).thenFails('user_exists'));
  it('changes the role', () =>
    given(userDecider, [registered]).when({ type: 'ChangeUserRole', role: 'admin' }).then([{ type: 'UserRoleChanged', data: { role: 'admin', previousRole: 'user' } }]));
  it('changing to the same role changes nothing', () => given(userDecider, [registered]).when({ type: 'ChangeUserRole', role: 'user' }).then([]));
  it('cannot change the role of an unknown user', () => given(userDecider).when({ type: 'ChangeUserRole', role: 'admin' }).thenFails('user_not_found'));
  it('cannot change the role of a deactivated user', () =>
    given(userDecider, [registered, { type: 'UserDeactivated', data: { reason: 'spam' } }]).when({ type: 'ChangeUserRole', role: 'admin' }).thenFails('user_deactivated'));
  it('changes the password', () =>
    given(userDecider, [registered]).when({ type: 'ChangeUserPassword', passwordHash: 'h2' }).then([{ type: 'UserPasswordChanged', data: { passwordHash: 'h2' } }]));
  it('deactivates once', () => {
    given(userDecider, [registered]).when({ type: 'DeactivateUser', reason: 'spam' }).then([{ type: 'UserDeactivated', data: { reason: 'spam' } }]);
    given(userDecider, [registered, { type: 'UserDeactivated', data: { reason: 'spam' } }]).when({ type: 'DeactivateUser', reason: 'again' }).then([]);
  });
});
