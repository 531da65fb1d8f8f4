// The consent ledger on the user stream (issue 15 item 3) and the erased state.

import { describe, expect, it } from 'vitest';
import { fold } from '../../../src/domain/decider.js';
import { userDecider, type UserCommand } from '../../../src/domain/identity/user.js';
import type { UserEvent } from '../../../src/domain/identity/user-events.js';
import { given } from '../../support/given-when-then.js';

const registered: UserEvent = { type: 'UserRegistered', data: { userId: 'u1', email: 'ada@example.com', displayName: 'Ada', passwordHash: 'h1', role: 'user' } };
const current = { version: '2026-12-01', textSha256: 'a'.repeat(64) };
const give = (purpose: 'face_analysis' | 'face_recognition' = 'face_analysis', policyVersion = current.version): UserCommand => ({ type: 'GiveConsent', purpose, policyVersion, current });
const given_: UserEvent = { type: 'ConsentGiven', data: { purpose: 'face_analysis', policyVersion: current.version, textSha256: current.textSha256 } };
const withdrawn: UserEvent = { type: 'ConsentWithdrawn', data: { purpose: 'face_analysis' } };
const erased: UserEvent = { type: 'UserErased', data: { erasureId: 'e1' } };
const deactivated: UserEvent = { type: 'UserDeactivated', data: { reason: 'spam' } };

describe('user decider: consent', () => {
  it('records a consent with the policy version and the sha256 of its text', () => given(userDecider, [registered]).when(give()).then([given_]));
  it('the same consent again records nothing', () => given(userDecider, [registered, given_]).when(give()).then([]));
  it('a consent under a changed text (same version) is recorded again', () =>
    given(userDecider, [registered, { type: 'ConsentGiven', data: { ...(given_.data as object), textSha256: 'b'.repeat(64) } } as UserEvent]).when(give()).then([given_]));
  it('refuses a consent to another policy version, naming the current one', () => {
    given(userDecider, [registered]).when(give('face_analysis', '2020-01-01')).thenFails('policy_version_mismatch', 'conflict');
    expect(() => userDecider.decide(give('face_analysis', '2020-01-01'), fold(userDecider, [registered]))).toThrow(/2026-12-01/);
  });
  it('refuses an unknown purpose', () =>
    given(userDecider, [registered]).when({ type: 'GiveConsent', purpose: 'marketing' as 'face_analysis', policyVersion: current.version, current }).thenFails('invalid_purpose', 'invalid'));
  it('purposes are separate', () =>
    given(userDecider, [registered, given_]).when(give('face_recognition')).then([{ type: 'ConsentGiven', data: { purpose: 'face_recognition', policyVersion: current.version, textSha256: current.textSha256 } }]));
  it('refuses consent from a deactivated or unknown user', () => {
    given(userDecider, [registered, deactivated]).when(give()).thenFails('user_deactivated');
    given(userDecider).when(give()).thenFails('user_not_found');
  });
  it('withdraws a consent given; withdrawing one not given records nothing', () => {
    given(userDecider, [registered, given_]).when({ type: 'WithdrawConsent', purpose: 'face_analysis' }).then([withdrawn]);
    given(userDecider, [registered]).when({ type: 'WithdrawConsent', purpose: 'face_analysis' }).then([]);
    given(userDecider, [registered, given_, withdrawn]).when({ type: 'WithdrawConsent', purpose: 'face_analysis' }).then([]);
    given(userDecider, [registered, given_]).when({ type: 'WithdrawConsent', purpose: 'face_recognition' }).then([]);
  });
  it('a deactivated user can still withdraw (it only stops collection)', () =>
    given(userDecider, [registered, given_, deactivated]).when({ type: 'WithdrawConsent', purpose: 'face_analysis' }).then([withdrawn]));
  it('the state keeps per purpose: given, the policy version and the withdrawals seen', () => {
    const s = fold(userDecider, [registered, given_, withdrawn, given_, withdrawn, given_]);
    expect(s.status).toBe('active');
    if (s.status !== 'active') return;
    expect(s.consents.face_analysis).toEqual({ given: true, policyVersion: current.version, textSha256: current.textSha256, withdrawals: 2 });
    expect(s.consents.face_recognition).toEqual({ given: false, withdrawals: 0 });
    const after = fold(userDecider, [registered, given_, withdrawn]);
    expect(after.status === 'active' && after.consents.face_analysis).toEqual({ given: false, policyVersion: current.version, textSha256: current.textSha256, withdrawals: 1 });
  });
});

describe('user decider: erasure', () => {
  it('erases a user, active or deactivated', () => {
    given(userDecider, [registered]).when({ type: 'EraseUser', erasureId: 'e1' }).then([erased]);
    given(userDecider, [registered, deactivated]).when({ type: 'EraseUser', erasureId: 'e1' }).then([erased]);
    given(userDecider).when({ type: 'EraseUser', erasureId: 'e1' }).thenFails('user_not_found');
  });
  it('erasing an erased user is a no-op', () => given(userDecider, [registered, erased]).when({ type: 'EraseUser', erasureId: 'e2' }).then([]));
  it('refuses every other command on an erased user', () => {
    const commands: UserCommand[] = [
      { type: 'RegisterUser', userId: 'u1', email: 'ada@example.com', displayName: 'Ada', passwordHash: 'h1', role: 'user' },
      { type: 'ChangeUserRole', role: 'admin' },
      { type: 'ChangeUserPassword', passwordHash: 'h2' },
      { type: 'DeactivateUser', reason: 'x' },
      give(),
      { type: 'WithdrawConsent', purpose: 'face_analysis' },
    ];
    for (const c of commands) given(userDecider, [registered, given_, erased]).when(c).thenFails('user_erased', 'conflict');
  });
  it('the erased state has no consent in force and no personal fields', () => {
    const s = fold(userDecider, [registered, given_, erased]);
    expect(s).toEqual({ status: 'erased', userId: 'u1', erasureId: 'e1', consents: expect.any(Object) as unknown });
    expect(s.status === 'erased' && 'email' in s).toBe(false);
  });
});
