// rm.sessions: one row per login session family. A batch is folded in memory per family (in log
// order) and written with one insert (families started in the batch) and one update (the others).

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import type { SessionEvent } from '../../domain/identity/session.js';
import { jsonRows } from '../batch-sql.js';
import type { Projection, ReadModelTables } from '../projection.js';
import { streamId } from '../stream-id.js';

interface SessionRow {
  family_id: string;
  user_id: string;
  status: string;
  current_token_id: string;
  expires_at: string;
  started_at: Date;
  rotations: number;
  revoked_at?: Date;
  revoked_reason?: string;
}
/** Changes to a family started before the batch; `rotations` is added. */
interface SessionPatch {
  family_id: string;
  current_token_id?: string;
  expires_at?: string;
  rotations: number;
  status?: string;
  revoked_at?: Date;
  revoked_reason?: string;
}

export const sessionsTables: ReadModelTables = {
  tables: [
    // The purge-sessions scheduler deletes expired rows from the live table; a rebuild has them.
    { name: 'sessions', key: ['family_id'], compareWhere: `expires_at >= now() - interval '1 day'` },
  ],
  createTables: (s) => /* sql */ `
    create table ${s}.sessions (
      family_id        uuid primary key,
      user_id          uuid not null,
      status           text not null check (status in ('active', 'revoked')),
      current_token_id uuid not null,
      expires_at       timestamptz not null,
      started_at       timestamptz not null,
      rotations        integer not null default 0,
      revoked_at       timestamptz,
      revoked_reason   text
    );`,
  createIndexes: (s) => `create index sessions_by_user on ${s}.sessions (user_id, started_at desc);`,
};

export const sessionsProjection: Projection = {
  name: 'sessions',
  filter: { streamPrefixes: ['session-'] },
  tables: sessionsTables,
  async apply(tx: pg.ClientBase, events) {
    const inserts = new Map<string, SessionRow>();
    const patches = new Map<string, SessionPatch>();
    for (const recorded of events) {
      const event = upcast(recorded) as SessionEvent;
      const familyId = streamId(recorded.stream, 'session');
      if (event.type === 'SessionStarted') {
        if (inserts.has(familyId)) throw new Error(`session ${familyId} started twice in one batch`);
        inserts.set(familyId, {
          family_id: familyId,
          user_id: event.data.userId,
          status: 'active',
          current_token_id: event.data.tokenId,
          expires_at: event.data.expiresAt,
          started_at: recorded.recordedAt,
          rotations: 0,
        });
        continue;
      }
      const target: SessionRow | SessionPatch = inserts.get(familyId) ?? patches.get(familyId) ?? { family_id: familyId, rotations: 0 };
      switch (event.type) {
        case 'RefreshTokenRotated':
          target.current_token_id = event.data.toTokenId;
          target.expires_at = event.data.expiresAt;
          target.rotations++;
          break;
        case 'SessionRevoked':
          target.status = 'revoked';
          target.revoked_at = recorded.recordedAt;
          target.revoked_reason = event.data.reason;
          break;
        default:
          continue;
      }
      if (!inserts.has(familyId)) patches.set(familyId, target);
    }
    if (inserts.size > 0) {
      await tx.query(
        `insert into sessions (family_id, user_id, status, current_token_id, expires_at, started_at, rotations, revoked_at, revoked_reason)
         select family_id, user_id, status, current_token_id, expires_at, started_at, rotations, revoked_at, revoked_reason
           from jsonb_to_recordset($1::jsonb) as r(family_id uuid, user_id uuid, status text, current_token_id uuid, expires_at timestamptz,
                                                  started_at timestamptz, rotations int, revoked_at timestamptz, revoked_reason text)`,
        [jsonRows([...inserts.values()])],
      );
    }
    if (patches.size > 0) {
      await tx.query(
        `update sessions s
            set current_token_id = coalesce(p.current_token_id, s.current_token_id), expires_at = coalesce(p.expires_at, s.expires_at),
                rotations = s.rotations + p.rotations, status = coalesce(p.status, s.status),
                revoked_at = coalesce(p.revoked_at, s.revoked_at), revoked_reason = coalesce(p.revoked_reason, s.revoked_reason)
           from jsonb_to_recordset($1::jsonb) as p(family_id uuid, current_token_id uuid, expires_at timestamptz, rotations int,
                                                  status text, revoked_at timestamptz, revoked_reason text)
          where s.family_id = p.family_id`,
        [jsonRows([...patches.values()])],
      );
    }
  },
};
