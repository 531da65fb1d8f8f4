// Redis goes away under the read cache: image reads and gallery pages still answer 200 with the
// right data (from PostgreSQL), commands and consistentWith reads keep working, and once Redis is
// back the invalidations missed meanwhile are applied (no entry cached before the outage outlives
// a delete made during it). The app reaches Redis through a TCP proxy we cut; the real Redis
// (shared with other test files) stays up.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheKeys } from '../../src/queries/cache/cache-keys.js';
import type { CacheResult } from '../../src/queries/cache/read-cache.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventually } from '../../support/eventually.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { TEST_REDIS_URL } from '../../support/redis-test-prefix.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { consentOverHttp } from '../support/consent.js';

const target = new URL(TEST_REDIS_URL);
const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
let t: TestApp;
let redis: Redis;
let keys: CacheKeys;
let alice: string;
let bob: string;
const password = 'a perfectly fine password';
const counts = new Map<string, number>();
const count = (what: string) => counts.get(what) ?? 0;

type Page = { items: { imageId: string }[] };

async function tokenFor(email: string): Promise<string> {
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  return token;
}

async function upload(token: string): Promise<{ imageId: string; position: string }> {
  const f = new FormData();
  f.append('file', new Blob([await readSample(4)], { type: 'image/jpeg' }), 'q.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

/** Runs a command and waits for its invalidation (the images projection bumps 'all' last, per batch). */
async function settled<T>(command: () => Promise<T>): Promise<T> {
  const before = await redis.get(keys.galleryGen('all'));
  const result = await command();
  await eventually(async () => (await redis.get(keys.galleryGen('all'))) !== before, 'the invalidation after the command');
  return result;
}

const getImage = (id: string, token = alice, query = '') => call<Record<string, unknown>>(t.baseUrl, 'GET', `/v1/images/${id}${query ? `?${query}` : ''}`, { token });
const list = (token = alice, query = '') => call<Page>(t.baseUrl, 'GET', `/v1/images?limit=50${query ? `&${query}` : ''}`, { token });

beforeAll(async () => {
  await proxy.start();
  t = await startTestApp('cache_redis_down', { REDIS_URL: proxy.url }, {}, { app: { onCacheResult: (cache: string, result: CacheResult) => counts.set(`${cache}:${result}`, count(`${cache}:${result}`) + 1) } });
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  keys = new CacheKeys(t.runtime.config.redisKeyPrefix);
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
});
afterAll(async () => {
  await proxy.start();
  redis.disconnect();
  await t.stop();
  await proxy.stop();
});

describe('Redis stops under the read cache', () => {
  it('reads stay 200 and correct from PostgreSQL; missed invalidations are applied when it is back', async () => {
    const kept = await settled(() => upload(alice));
    const doomed = await settled(() => upload(alice));
    const keptBody = (await getImage(kept.imageId)).body;
    expect((await getImage(kept.imageId)).body).toEqual(keptBody);
    expect((await getImage(doomed.imageId)).status).toBe(200);
    expect((await getImage(doomed.imageId)).status).toBe(200);
    const page = (await list()).body;
    expect(page.items.map((i) => i.imageId)).toEqual([doomed.imageId, kept.imageId]);
    expect((await list()).body).toEqual(page);
    const hitsBefore = count('image:hit') + count('gallery:hit');
    expect(hitsBefore).toBeGreaterThanOrEqual(3);

    await proxy.stop();

    const failuresBefore = count('image:error') + count('image:bypass');
    const down = await getImage(kept.imageId);
    expect(down.status).toBe(200);
    expect(down.body).toEqual(keptBody);
    expect(count('image:error') + count('image:bypass')).toBeGreaterThan(failuresBefore);
    expect((await getImage(kept.imageId, bob)).status).toBe(404);
    expect((await list()).body).toEqual(page);
    expect((await list(bob)).body.items).toEqual([]);

    // Commands and read-your-writes go on without Redis.
    const deleted = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${doomed.imageId}`, { token: alice });
    expect(deleted.status).toBe(202);
    expect((await getImage(doomed.imageId, alice, `consistentWith=${deleted.body.position}`)).status).toBe(404);
    expect((await list(alice, `consistentWith=${deleted.body.position}`)).body.items.map((i) => i.imageId)).toEqual([kept.imageId]);
    const added = await upload(alice);
    expect((await getImage(added.imageId, alice, `consistentWith=${added.position}`)).status).toBe(200);
    expect((await list(alice, `consistentWith=${added.position}`)).body.items.map((i) => i.imageId)).toEqual([added.imageId, kept.imageId]);
    expect(count('image:hit') + count('gallery:hit')).toBe(hitsBefore);

    await proxy.start();

    // The cache is used again …
    await eventually(async () => {
      const hits = count('image:hit');
      expect((await getImage(kept.imageId)).body).toEqual(keptBody);
      return count('image:hit') > hits;
    }, 'the cache to serve hits again');
    // … and what was cached before the outage does not outlive the delete made during it.
    await eventually(async () => (await getImage(doomed.imageId)).status === 404, 'the missed invalidation of the deleted image');
    await eventually(async () => (await list()).body.items.map((i) => i.imageId).join() === [added.imageId, kept.imageId].join(), 'the missed invalidation of the gallery');
  });
});
