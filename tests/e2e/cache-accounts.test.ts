// The auth guard's account lookup (role, status) behind the read cache: served from Redis once
// cached, and a role change or deactivation applies to the very next request after the users
// read model has it, even when the account was cached just before. With the pre-commit bump
// alone removed (only the after-commit one left) the "at once" checks here can fail.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import type { CacheResult } from '../../src/queries/cache/read-cache.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { latestWrittenPosition } from '../../support/database.js';
import { call } from '../support/http.js';

let t: TestApp;
const counts = new Map<string, number>();
const count = (k: string) => counts.get(k) ?? 0;
const system = { correlationId: 'test', actor: { id: 'admin', kind: 'system' as const } };

beforeAll(async () => {
  t = await startTestApp('cache_accounts', {}, {}, { app: { onCacheResult: (cache: string, result: CacheResult) => counts.set(`${cache}:${result}`, count(`${cache}:${result}`) + 1) } });
}, 60_000);
afterAll(async () => {
  await t.stop();
});

describe('cached accounts', () => {
  it('serves the account from the cache after the first request', async () => {
    const { token, userId } = await tokenFor(t, 'cached@example.com', 'user');
    await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
    expect((await call<{ userId: string }>(t.baseUrl, 'GET', '/v1/me', { token })).body.userId).toBe(userId);
    const hits = count('account:hit');
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token })).status).toBe(200);
    expect(count('account:hit')).toBe(hits + 1);
  });

  it('a role change applies to the next request, cached or not', async () => {
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    for (let round = 0; round < 5; round++) {
      const admin = await tokenFor(t, `admin${round}@example.com`, 'admin');
      const auditFeed = () => call(t.baseUrl, 'GET', '/v1/audit/events?limit=1', { token: admin.token });
      await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
      expect((await auditFeed()).status).toBe(200); // cached as admin now
      expect((await auditFeed()).status).toBe(200);
      const demoted = await identity.changeRole(admin.userId, 'user', system);
      await t.runtime.checkpoints.waitFor(['users'], demoted!, 10_000);
      const after = await auditFeed();
      expect(after.status).toBe(403);
      expect(after.body).toMatchObject({ code: 'forbidden' });
    }
  });

  it('a deactivation applies to the next request, cached or not', async () => {
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    for (let round = 0; round < 5; round++) {
      const user = await tokenFor(t, `leaving${round}@example.com`, 'user');
      await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
      expect((await call(t.baseUrl, 'GET', '/v1/me', { token: user.token })).status).toBe(200);
      const gone = await identity.deactivate(user.userId, 'test', system);
      await t.runtime.checkpoints.waitFor(['users'], gone!, 10_000);
      const after = await call(t.baseUrl, 'GET', '/v1/me', { token: user.token });
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ code: 'account_deactivated' });
    }
  });
});
