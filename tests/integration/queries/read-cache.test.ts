// The read cache against the real Redis, without an app around it: what this process holds
// decoded, how lookups of one event-loop turn share a round trip, and what counts as a timeout.
// Invalidation end to end (projectors, several processes, Redis cut) is in tests/e2e/cache-*.

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Position } from '../../../src/eventstore/position.js';
import { BUMP_GENERATION, ReadCache, generationTtlSeconds, type CacheResult, type ReadCacheOptions } from '../../../src/queries/cache/read-cache.js';
import { testLogger } from '../../support/silent-logger.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../../support/redis-test-prefix.js';

const prefix = uniqueRedisPrefix('read-cache');
const at = (commit: number): Position => ({ commit: BigInt(commit), prepare: BigInt(commit) });
let redis: Redis;
const opened: ReadCache[] = [];

function open(opts: Partial<ReadCacheOptions> = {}): { cache: ReadCache; results: CacheResult[] } {
  const results: CacheResult[] = [];
  const cache = new ReadCache({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, ttlSeconds: 60, timeoutMs: 200, logger: testLogger, onResult: (_c, r) => results.push(r), ...opts });
  opened.push(cache);
  return { cache, results };
}

/** Blocks the event loop (no timer, I/O or immediate runs meanwhile). */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* busy */
  }
}

const bump = (genKey: string) => redis.eval(BUMP_GENERATION, 1, genKey, generationTtlSeconds(60));

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterEach(() => {
  for (const cache of opened.splice(0)) cache.close();
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisKeys(prefix);
});

describe('read cache', () => {
  it('answers a hit from the entry it holds while Redis confirms the generation, and reloads after an invalidation', async () => {
    const { cache, results } = open();
    await cache.connected();
    const key = cache.keys.image('held', 'plain');
    let loads = 0;
    const load = () => Promise.resolve({ stamp: at(5), value: { n: ++loads } });

    expect(await cache.through('image', key, undefined, load)).toEqual({ n: 1 });
    // Spoil the stored copy: a read that fetched the data would now see garbage (a miss, then load).
    const dataKeys = await redis.keys(`${key.dataPrefix}*${key.dataSuffix}`);
    expect(dataKeys).toHaveLength(1);
    await redis.set(dataKeys[0]!, 'not json');
    results.length = 0;
    expect(await cache.through('image', key, undefined, load)).toEqual({ n: 1 });
    expect(results).toEqual(['hit']);
    expect(loads).toBe(1);

    // Another process invalidates: the held entry is under a dead generation now.
    await bump(key.gen);
    expect(await cache.through('image', key, undefined, load)).toEqual({ n: 2 });
    expect(results).toEqual(['hit', 'miss']);
  });

  it('fetches the stored entry when the one it holds is older than consistentWith, and never serves one older', async () => {
    const { cache } = open();
    await cache.connected();
    const key = cache.keys.image('stamps', 'plain');
    await cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(5), value: 'old stamp' }));
    // Its store is fire-and-forget; a lookup on the same connection is answered after it.
    expect(await cache.through('image', key, undefined, () => Promise.resolve(undefined))).toBe('old stamp');
    // Another process stores a newer stamp under the same generation (same data, newer checkpoint).
    const generation = await redis.get(key.gen);
    await redis.set(`${key.dataPrefix}${generation}${key.dataSuffix}`, JSON.stringify({ s: '9-9', v: 'new stamp' }), 'EX', 60);
    expect(await cache.through('image', key, at(9), () => Promise.resolve({ stamp: at(10), value: 'loaded' }))).toBe('new stamp');
    expect(await cache.through('image', key, at(12), () => Promise.resolve({ stamp: at(12), value: 'loaded at 12' }))).toBe('loaded at 12');
  });

  it('hands out frozen entries (one copy serves many requests)', async () => {
    const { cache } = open();
    await cache.connected();
    const key = cache.keys.image('frozen', 'plain');
    const value = await cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: { faces: [{ landmarks: [[1, 2]] }] } }));
    const again = await cache.through<{ faces: { landmarks: number[][] }[] }>('image', key, undefined, () => Promise.resolve(undefined));
    expect(again).toBe(value);
    expect(Object.isFrozen(again!.faces[0]!.landmarks[0])).toBe(true);
    expect(() => again!.faces.push({ landmarks: [] })).toThrow(TypeError);
  });

  it('holds nothing with localMaxBytes 0: every hit reads the stored copy', async () => {
    const { cache, results } = open({ localMaxBytes: 0 });
    await cache.connected();
    const key = cache.keys.image('no-local', 'plain');
    await cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: 'v1' }));
    const [dataKey] = await redis.keys(`${key.dataPrefix}*${key.dataSuffix}`);
    await redis.set(dataKey!, JSON.stringify({ s: '1-1', v: 'rewritten in Redis' }));
    results.length = 0;
    expect(await cache.through('image', key, undefined, () => Promise.resolve(undefined))).toBe('rewritten in Redis');
    expect(results).toEqual(['hit']);
  });

  it('answers concurrent lookups of one turn (one pipeline) each with its own entry', async () => {
    const { cache } = open();
    await cache.connected();
    const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    await Promise.all(ids.map((id) => cache.through('image', cache.keys.image(id, 'plain'), undefined, () => Promise.resolve({ stamp: at(1), value: id }))));
    // The stores are fire-and-forget; a lookup on the same connection is answered after them.
    await cache.through('image', cache.keys.image('many-0', 'plain'), undefined, () => Promise.resolve(undefined));
    const opened = open(); // nothing held: every answer comes from Redis, in one pipeline
    const reader = opened.cache;
    await reader.connected();
    const values = await Promise.all(ids.map((id) => reader.through('image', reader.keys.image(id, 'plain'), undefined, () => Promise.resolve({ stamp: at(1), value: 'loaded' }))));
    expect(values).toEqual(ids);
    expect(opened.results).toEqual(ids.map(() => 'hit'));
    const many = await reader.throughMany('image', ['many-3', 'missing', 'many-7'].map((id) => reader.keys.image(id, 'plain')), undefined, (indexes) =>
      Promise.resolve(new Map(indexes.map((i) => [i, { stamp: at(1), value: `loaded ${i}`, cache: false }]))),
    );
    expect(many).toEqual(['many-3', 'loaded 1', 'many-7']);
  });

  it('does not call a reply that arrived while the event loop was busy a timeout', async () => {
    const { cache, results } = open({ timeoutMs: 20 });
    await cache.connected();
    const key = cache.keys.image('busy-loop', 'plain');
    await cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: 'cached' }));
    results.length = 0;
    const read = cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: 'from the loader' }));
    // The turn's lookups are sent in its check phase; this immediate runs right after that send.
    await new Promise((resolve) => setImmediate(resolve));
    // Block the loop past the timeout: Redis answers long before it ends, the timer is due too.
    busyFor(100);
    expect(await read).toBe('cached');
    expect(results).toEqual(['hit']);
  });

  it('counts a lookup\'s timeout from when it is sent, not while it waits for the event loop to send it', async () => {
    // Through an in-process proxy: the reply takes more loop turns than the timer's re-check waits.
    const proxy = new TcpProxy(new URL(TEST_REDIS_URL).hostname, Number(new URL(TEST_REDIS_URL).port || 6379));
    await proxy.start();
    try {
      const { cache, results } = open({ redisUrl: proxy.url, timeoutMs: 200 });
      await cache.connected();
      const key = cache.keys.image('busy-before-send', 'plain');
      await cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: 'cached' }));
      results.length = 0;
      const read = cache.through('image', key, undefined, () => Promise.resolve({ stamp: at(1), value: 'from the loader' }));
      // Busy past the timeout before the lookup is even sent: that is this process's lag, not Redis's.
      busyFor(250);
      expect(await read).toBe('cached');
      expect(results).toEqual(['hit']);
    } finally {
      await proxy.stop();
    }
  });

  it('times out a Redis that does not answer, reads through the loader, and skips the cache for a while after errors in a row', async () => {
    const proxy = new TcpProxy(new URL(TEST_REDIS_URL).hostname, Number(new URL(TEST_REDIS_URL).port || 6379));
    await proxy.start();
    try {
      const { cache, results } = open({ redisUrl: proxy.url, timeoutMs: 50, breakerErrors: 2, cooldownMs: 60_000 });
      await cache.connected();
      proxy.stall();
      const started = Date.now();
      const read = () => cache.through('image', cache.keys.image('stalled', 'plain'), undefined, () => Promise.resolve({ stamp: at(1), value: 'from PostgreSQL' }));
      expect(await read()).toBe('from PostgreSQL');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await read()).toBe('from PostgreSQL');
      expect(results).toEqual(['error', 'error']);
      // The breaker is open: the next read does not wait for Redis at all (nor for any timer or
      // I/O: it is answered before this turn's immediates run).
      const waited = new Promise((resolve) => setImmediate(() => resolve('waited for the event loop')));
      expect(await Promise.race([read(), waited])).toBe('from PostgreSQL');
      expect(results).toEqual(['error', 'error', 'bypass']);
      proxy.resume();
    } finally {
      await proxy.stop();
    }
  });
});
