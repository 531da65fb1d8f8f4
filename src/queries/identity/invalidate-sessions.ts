// Invalidation hook of the sessions read model for the cached accounts (cached-accounts.ts, which
// hold each user's recently revoked sessions): bumps the generation of every user one of whose
// sessions the batch revoked. The users come from the batch's SessionStarted events (a family
// started and revoked in one batch is not visible to other connections before the commit) and,
// for the others, from rm.sessions (one query). Registered before the commit and after it, like
// the accounts' own hook.

import type pg from 'pg';
import type { RecordedEvent } from '../../eventstore/types.js';
import { CacheKeys } from '../cache/cache-keys.js';
import { generationBumper, type GenerationBumperDeps } from '../cache/generation-bumper.js';

const SESSION_STREAM = /^session-([0-9a-f-]{36})$/;

export function sessionCacheInvalidation(deps: GenerationBumperDeps & { keyPrefix: string; pool: pg.Pool }) {
  const keys = new CacheKeys(deps.keyPrefix);
  const bump = generationBumper(deps);
  return async function invalidateSessions(projection: string, events: readonly RecordedEvent[]): Promise<void> {
    if (projection !== 'sessions') return;
    const startedBy = new Map<string, string>();
    const revoked = new Set<string>();
    for (const e of events) {
      const id = SESSION_STREAM.exec(e.stream)?.[1];
      if (id === undefined) continue;
      if (e.type === 'SessionStarted') startedBy.set(id, (e.data as { userId: string }).userId);
      if (e.type === 'SessionRevoked') revoked.add(id);
    }
    if (revoked.size === 0) return;
    const users = new Set<string>();
    const unknown: string[] = [];
    for (const id of revoked) {
      const user = startedBy.get(id);
      if (user === undefined) unknown.push(id);
      else users.add(user);
    }
    if (unknown.length > 0) {
      const { rows } = await deps.pool.query<{ user_id: string }>('select distinct user_id from rm.sessions where family_id = any($1::uuid[])', [unknown]);
      for (const r of rows) users.add(r.user_id);
    }
    await bump([...users].map((id) => keys.userGen(id)));
  };
}
