// The auth guard's per-request lookup (a user's current role and status in rm.users) behind the
// read cache. A demotion or deactivation must apply at once, so the users projection bumps the
// user's generation twice: inside its transaction just before the commit, and again after it
// (src/projections/commit-hooks.ts). An entry cached before the change is dead from the first
// bump on; one a reader cached in the instant between the first bump and the commit (the old row,
// then still current) is dead after the second. Unknown users (not projected yet) are not cached.

import type { Role } from '../../domain/identity/roles.js';
import { START } from '../../eventstore/position.js';
import type { UsersQuery } from './users-query.js';
import type { ReadCache } from '../cache/read-cache.js';

export interface Account {
  role: Role;
  status: 'active' | 'deactivated';
}

export interface AccountLookup {
  byId(userId: string): Promise<Account | undefined>;
}

export class CachedAccounts implements AccountLookup {
  constructor(
    private readonly users: UsersQuery,
    private readonly cache: ReadCache | undefined,
  ) {}

  async byId(userId: string): Promise<Account | undefined> {
    const load = async () => {
      const user = await this.users.byId(userId);
      return user ? { role: user.role, status: user.status } : undefined;
    };
    if (!this.cache) return load();
    return this.cache.through<Account>('account', this.cache.keys.account(userId), undefined, async () => {
      const account = await load();
      // No consistentWith on this lookup: the stamp is never compared.
      return account && { stamp: START, value: account };
    });
  }
}
