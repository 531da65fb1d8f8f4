// rm.sessions: one row per login session family.

import type pg from 'pg';
import { upcast } from '../domain/upcast.js';
import type { SessionEvent } from '../domain/identity/session.js';
import type { Projection } from './projection.js';
import { streamId } from './stream-id.js';

export const sessionsProjection: Projection = {
  name: 'sessions',
  filter: { streamPrefixes: ['session-'] },
  async apply(tx: pg.ClientBase, events) {
    for (const recorded of events) {
      const event = upcast(recorded) as SessionEvent;
      const familyId = streamId(recorded.stream, 'session');
      switch (event.type) {
        case 'SessionStarted':
          await tx.query(
            `insert into rm.sessions (family_id, user_id, status, current_token_id, expires_at, started_at)
             values ($1, $2, 'active', $3, $4, $5)`,
            [familyId, event.data.userId, event.data.tokenId, event.data.expiresAt, recorded.recordedAt],
          );
          break;
        case 'RefreshTokenRotated':
          await tx.query('update rm.sessions set current_token_id = $2, expires_at = $3, rotations = rotations + 1 where family_id = $1', [
            familyId,
            event.data.toTokenId,
            event.data.expiresAt,
          ]);
          break;
        case 'SessionRevoked':
          await tx.query(`update rm.sessions set status = 'revoked', revoked_at = $2, revoked_reason = $3 where family_id = $1`, [
            familyId,
            recorded.recordedAt,
            event.data.reason,
          ]);
          break;
      }
    }
  },
};
