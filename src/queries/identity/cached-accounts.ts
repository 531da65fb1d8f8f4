// The auth guard's per-request lookup behind the read cache: a user's current role and status in
// rm.users, and the user's sessions revoked recently enough that one of their access tokens may
// still be unexpired (the revocation set the guard checks the token's `sid` against). One entry
// per user, so the check costs no more than the account lookup did: one lookup per request, in
// the read cache's one pipeline per loop turn.
//
// The revoked sessions are the union of
//   - rm.sessions rows revoked within the last `revocationWindowSeconds` (the access-token
//     lifetime plus a margin: a session revoked before that has no live access token left), and
//   - the revocation marks in Redis (revocation-marks.ts), written by the command before it
//     answers, for the instant before the sessions projection has the revocation.
// A demotion, deactivation or revocation must apply at once, so the users projection bumps the
// user's generation twice: inside its transaction just before the commit, and again after it
// (src/commit-hooks.ts); the sessions projection does the same for the users whose sessions it
// revoked, and the command that revoked or changed something bumps it again once the projection
// has it (src/http/access-changes.ts). An entry cached before the change is dead from the first
// bump on; one a reader cached in the instant between the first bump and the commit (the old row,
// then still current) is dead after the second. Unknown users (not projected yet) are not cached.
// Redis down: the cache is bypassed and the marks cannot be read; rm.sessions answers, and already
// has the revocation (the command waited for it).

import type pg from 'pg';
import type { Role } from '../../domain/identity/roles.js';
import { START } from '../../eventstore/position.js';
import type { ReadCache } from '../cache/read-cache.js';

export interface Account {
  role: Role;
  status: 'active' | 'deactivated';
}

export interface AccountLookup {
  byId(userId: string): Promise<Account | undefined>;
}

/** What the guard needs of the caller: the account (undefined: not projected yet) and the revoked sessions. */
export interface Access {
  account: Account | undefined;
  revokedSessions: readonly string[];
}

/** The sessions of a user Redis marks as revoked; rejects when Redis cannot say. */
export type RevocationMarks = (userId: string) => Promise<readonly string[]>;

export class CachedAccounts implements AccountLookup {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: ReadCache | undefined,
    private readonly sessions: { marks: RevocationMarks; revocationWindowSeconds: number },
  ) {}

  async byId(userId: string): Promise<Account | undefined> {
    return (await this.access(userId)).account;
  }

  async access(userId: string): Promise<Access> {
    if (!this.cache) return this.load(userId);
    let loaded: Access | undefined;
    const cached = await this.cache.through<Access>('account', this.cache.keys.account(userId), undefined, async () => {
      loaded = await this.load(userId);
      // No consistentWith on this lookup: the stamp is never compared.
      return loaded.account ? { stamp: START, value: loaded } : undefined;
    });
    return cached ?? loaded ?? this.load(userId);
  }

  /** One PostgreSQL query (the account and its revoked sessions) and, beside it, the Redis marks. */
  private async load(userId: string): Promise<Access> {
    const [{ rows }, marked] = await Promise.all([
      this.pool.query<{ role: Role | null; status: Account['status'] | null; revoked: string[] }>(
        `select u.role, u.status,
                array(select s.family_id::text from rm.sessions s
                       where s.user_id = $1 and s.status = 'revoked' and s.revoked_at > now() - make_interval(secs => $2)) as revoked
           from (select) as one left join rm.users u on u.user_id = $1`,
        [userId, this.sessions.revocationWindowSeconds],
      ),
      this.sessions.marks(userId).catch(() => []), // Redis cannot say: rm.sessions decides
    ]);
    const row = rows[0]!;
    const revokedSessions = [...new Set([...row.revoked, ...marked])];
    return { account: row.role !== null && row.status !== null ? { role: row.role, status: row.status } : undefined, revokedSessions };
  }
}
