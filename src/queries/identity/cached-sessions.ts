// The auth guard's per-request check of the access token's session (`sid`): has it been revoked
// (logout, refresh-token reuse, refresh by a deactivated user)? The revocation set is the union of
//   - the revocation marks in Redis, written by the command before it answers (ttl: an access
//     token's lifetime, after which no token of the session is still valid), and
//   - rm.sessions (status 'revoked'), which the command waits for before it answers too,
// and the verdict is read through the read cache like the account (one round trip for both: the
// guard asks in parallel, the cache sends one pipeline per loop turn). A revocation bumps the
// session's generation (the command right after writing the mark, the sessions projection around
// its commit), so a cached "not revoked" dies with it; a loader that read the new generation sees
// the mark, which was written first. Redis down: the cache is bypassed, the mark cannot be read,
// rm.sessions answers (and already has the revocation: the command waited for it).
// A session not projected yet (just logged in) and not marked is not revoked, and is not cached.

import type pg from 'pg';
import { START } from '../../eventstore/position.js';
import type { ReadCache } from '../cache/read-cache.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionLookup {
  isRevoked(sessionId: string): Promise<boolean>;
}

/** Whether Redis holds a revocation mark for the session; rejects when Redis cannot say. */
export type RevocationMarks = (sessionId: string) => Promise<boolean>;

export class CachedSessions implements SessionLookup {
  constructor(
    private readonly pool: pg.Pool,
    private readonly marks: RevocationMarks,
    private readonly cache: ReadCache | undefined,
  ) {}

  async isRevoked(sessionId: string): Promise<boolean> {
    // Every sid this service signs is a UUID; anything else cannot be looked up, and is refused.
    if (!UUID.test(sessionId)) return true;
    if (!this.cache) return (await this.load(sessionId)) ?? false;
    const revoked = await this.cache.through<boolean>('session', this.cache.keys.session(sessionId), undefined, async () => {
      const value = await this.load(sessionId);
      // No consistentWith on this lookup: the stamp is never compared.
      return value === undefined ? undefined : { stamp: START, value };
    });
    return revoked ?? false;
  }

  /** true/false, or undefined for a session neither marked nor projected yet. */
  private async load(sessionId: string): Promise<boolean | undefined> {
    const [marked, row] = await Promise.all([
      this.marks(sessionId).catch(() => false), // Redis cannot say: rm.sessions decides
      this.pool.query<{ status: string }>('select status from rm.sessions where family_id = $1', [sessionId]),
    ]);
    if (marked) return true;
    const status = row.rows[0]?.status;
    return status === undefined ? undefined : status === 'revoked';
  }
}
