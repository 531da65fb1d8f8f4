import { describe, it } from 'vitest';
import { sessionDecider, type SessionEvent } from '../../../src/domain/identity/session.js';
import { given } from '../../support/given-when-then.js';

const started: SessionEvent = { type: 'SessionStarted', data: { userId: 'u1', tokenId: 't1', expiresAt: '2030-01-02T00:00:00.000Z' } };
const rotate = (presented: string, now = '2030-01-01T00:00:00.000Z') => ({
  type: 'RotateRefreshToken' as const,
  presentedTokenId: presented,
  newTokenId: 't2',
  expiresAt: '2030-01-03T00:00:00.000Z',
  now,
});

describe('session decider', () => {
  it('starts a session', () =>
    given(sessionDecider).when({ type: 'StartSession', userId: 'u1', tokenId: 't1', expiresAt: '2030-01-02T00:00:00.000Z' }).then([started]));
  it('rotates the current refresh token', () =>
    given(sessionDecider, [started])
      .when(rotate('t1'))
      .then([{ type: 'RefreshTokenRotated', data: { fromTokenId: 't1', toTokenId: 't2', expiresAt: '2030-01-03T00:00:00.000Z' } }]));
  it('revokes the family when a rotated token is presented again', () =>
    given(sessionDecider, [started, { type: 'RefreshTokenRotated', data: { fromTokenId: 't1', toTokenId: 't2', expiresAt: '2030-01-03T00:00:00.000Z' } }])
      .when(rotate('t1'))
      .then([{ type: 'SessionRevoked', data: { reason: 'reuse_detected' } }]));
  it('refuses to rotate on a revoked session', () =>
    given(sessionDecider, [started, { type: 'SessionRevoked', data: { reason: 'logout' } }]).when(rotate('t1')).thenFails('session_revoked'));
  it('refuses an expired refresh token', () => given(sessionDecider, [started]).when(rotate('t1', '2030-01-05T00:00:00.000Z')).thenFails('token_expired'));
  it('refuses to rotate an unknown session', () => given(sessionDecider).when(rotate('t1')).thenFails('session_not_found'));
  it('logout revokes once', () => {
    given(sessionDecider, [started]).when({ type: 'RevokeSession', reason: 'logout' }).then([{ type: 'SessionRevoked', data: { reason: 'logout' } }]);
    given(sessionDecider, [started, { type: 'SessionRevoked', data: { reason: 'logout' } }]).when({ type: 'RevokeSession', reason: 'logout' }).then([]);
  });
});
