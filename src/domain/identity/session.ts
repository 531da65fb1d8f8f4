// A login session: stream `session-<familyId>`. Each refresh rotates the refresh token; presenting
// a token that was already rotated means it leaked, so the whole family is revoked.

import { DomainError, type Decider, type DomainEvent } from '../decider.js';

export type RevokeReason = 'logout' | 'reuse_detected' | 'password_changed' | 'admin' | 'user_deactivated' | 'account_erased';

export type SessionStarted = DomainEvent<'SessionStarted', { userId: string; tokenId: string; expiresAt: string }>;
export type RefreshTokenRotated = DomainEvent<'RefreshTokenRotated', { fromTokenId: string; toTokenId: string; expiresAt: string }>;
export type SessionRevoked = DomainEvent<'SessionRevoked', { reason: RevokeReason }>;
export type SessionEvent = SessionStarted | RefreshTokenRotated | SessionRevoked;

export type SessionCommand =
  | { type: 'StartSession'; userId: string; tokenId: string; expiresAt: string }
  | { type: 'RotateRefreshToken'; presentedTokenId: string; newTokenId: string; expiresAt: string; now: string }
  | { type: 'RevokeSession'; reason: RevokeReason };

export type SessionState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; userId: string; currentTokenId: string; expiresAt: string; revokedReason?: RevokeReason };

export const sessionStream = (familyId: string) => `session-${familyId}`;

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (command.type === 'StartSession') {
      if (state.status !== 'none') throw new DomainError('conflict', 'session_exists', 'this session already exists');
      return [{ type: 'SessionStarted', data: { userId: command.userId, tokenId: command.tokenId, expiresAt: command.expiresAt } }];
    }
    if (state.status === 'none') throw new DomainError('unauthorized', 'session_not_found', 'no such session');
    if (command.type === 'RevokeSession') {
      return state.status === 'revoked' ? [] : [{ type: 'SessionRevoked', data: { reason: command.reason } }];
    }
    if (state.status === 'revoked') throw new DomainError('unauthorized', 'session_revoked', 'this session has been revoked');
    if (command.presentedTokenId !== state.currentTokenId) {
      return [{ type: 'SessionRevoked', data: { reason: 'reuse_detected' } }];
    }
    if (Date.parse(state.expiresAt) <= Date.parse(command.now)) {
      throw new DomainError('unauthorized', 'token_expired', 'the refresh token has expired');
    }
    return [{ type: 'RefreshTokenRotated', data: { fromTokenId: state.currentTokenId, toTokenId: command.newTokenId, expiresAt: command.expiresAt } }];
  },

  evolve(state, event) {
    switch (event.type) {
      case 'SessionStarted':
        return { status: 'active', userId: event.data.userId, currentTokenId: event.data.tokenId, expiresAt: event.data.expiresAt };
      case 'RefreshTokenRotated':
        return state.status === 'none' ? state : { ...state, currentTokenId: event.data.toTokenId, expiresAt: event.data.expiresAt };
      case 'SessionRevoked':
        return state.status === 'none' ? state : { ...state, status: 'revoked', revokedReason: event.data.reason };
    }
  },
};
