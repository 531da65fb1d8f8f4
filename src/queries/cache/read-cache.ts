// The Redis side of the read cache: one dedicated connection with a short command timeout and no
// offline queue, so a Redis that is down answers "no" at once and a slow one within the timeout.
// `through` is cache-aside with generations and position stamps (ARCHITECTURE.md, "Read cache"):
//   1. one round trip (a Lua script) reads the key's generation and the entry stored under it;
//   2. an entry is used only if its stamp (the images projection's checkpoint, read before the
//      data) is at or after the position the caller must see (`consistentWith`);
//   3. otherwise the loader reads PostgreSQL and the result is stored under the generation read in
//      step 1 — if the projector has invalidated since (INCR), that write lands under a dead
//      generation and is never read.
// Any Redis failure is logged (rate-limited), counted, and answered from PostgreSQL; nothing here
// throws to the caller except the loader's own errors.

import { Redis, type Result } from 'ioredis';
import type { Logger } from 'pino';
import { comparePositions, cursorToPosition, positionToCursor, type Position } from '../../eventstore/position.js';
import { CacheKeys, type CacheKey, type CacheName } from './cache-keys.js';

export type CacheResult = 'hit' | 'miss' | 'error' | 'bypass';
export type CacheObserver = (cache: CacheName, result: CacheResult) => void;

export interface ReadCacheOptions {
  redisUrl: string;
  /** REDIS_KEY_PREFIX of the deployment. */
  keyPrefix: string;
  /** Safety net: an entry no invalidation reached is dropped after this long. */
  ttlSeconds: number;
  /** Longest a cache command may take before the read goes to PostgreSQL. */
  timeoutMs: number;
  logger: Logger;
  /** Called once per cached read (metrics). */
  onResult?: CacheObserver;
  /** After this many errors in a row the cache is skipped ('bypass') for `cooldownMs`. */
  breakerErrors?: number;
  cooldownMs?: number;
}

/** A value with the images projection's position it is at least as new as. */
export interface Stamped<T> {
  stamp: Position;
  value: T;
}

/** Generation (seeded from the Redis clock when absent, so it never repeats an old one) + entry. */
const LOOKUP = `
local g = redis.call('GET', KEYS[1])
if not g then
  local t = redis.call('TIME')
  g = t[1] .. string.format('%06d', tonumber(t[2]))
  if not redis.call('SET', KEYS[1], g, 'NX', 'EX', ARGV[3]) then g = redis.call('GET', KEYS[1]) end
end
return {g, redis.call('GET', ARGV[1] .. g .. ARGV[2])}
`;

/** Invalidation: the next generation (or a fresh seed when the counter has expired). */
export const BUMP_GENERATION = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])), 'EX', ARGV[1])
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    facetrailCacheLookup(genKey: string, dataPrefix: string, dataSuffix: string, genTtlSeconds: number): Result<[string, string | null], Context>;
  }
  interface ChainableCommander {
    facetrailCacheLookup(genKey: string, dataPrefix: string, dataSuffix: string, genTtlSeconds: number): ChainableCommander;
  }
}

/** Generation counters outlive the entries under them (an expired counter only costs a miss). */
export const generationTtlSeconds = (ttlSeconds: number) => ttlSeconds * 2;

export class ReadCache {
  readonly keys: CacheKeys;
  private readonly redis: Redis;
  private readonly genTtl: number;
  private errorsInRow = 0;
  private skipUntil = 0;
  private lastLogAt = 0;
  private suppressed = 0;
  private closed = false;

  constructor(private readonly opts: ReadCacheOptions) {
    this.keys = new CacheKeys(opts.keyPrefix);
    this.genTtl = generationTtlSeconds(opts.ttlSeconds);
    this.redis = new Redis(opts.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: opts.timeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: 'facetrail-read-cache',
    });
    this.redis.defineCommand('facetrailCacheLookup', { numberOfKeys: 1, lua: LOOKUP });
    this.redis.on('error', (err: Error) => this.logError(err, 'read cache connection error'));
    this.redis.connect().catch(() => undefined); // reported by the 'error' listener
  }

  /**
   * The cached value for `key` if there is one at least as new as `atLeast`, else `load()`'s
   * (stored for the next reader). `load` returns undefined for "nothing to cache" (not found).
   */
  async through<T>(cache: CacheName, key: CacheKey, atLeast: Position | undefined, load: () => Promise<Stamped<T> | undefined>): Promise<T | undefined> {
    const found = await this.lookup(cache, key);
    if (isFresh(found?.entry, atLeast)) {
      this.report(cache, 'hit');
      return found.entry.value as T;
    }
    if (found) this.report(cache, 'miss');
    const loaded = await load();
    if (loaded && found) this.store(key, found.generation, loaded);
    return loaded?.value;
  }

  /**
   * `through` for many keys in one round trip (a pipeline of the lookup script): the entries that
   * are fresh enough are answered from the cache, the others by ONE `loadMissing` call given their
   * indexes (loaders keep a constant number of queries), and those it marks `cache` are stored.
   */
  async throughMany<T>(
    cache: CacheName,
    keys: readonly CacheKey[],
    atLeast: Position | undefined,
    loadMissing: (indexes: number[]) => Promise<Map<number, Stamped<T> & { cache: boolean }>>,
  ): Promise<(T | undefined)[]> {
    const found = await this.lookupMany(cache, keys);
    const out: (T | undefined)[] = new Array<T | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((_key, i) => {
      const f = found[i];
      if (isFresh(f?.entry, atLeast)) {
        this.report(cache, 'hit');
        out[i] = f.entry.value as T;
      } else {
        if (f) this.report(cache, 'miss');
        missing.push(i);
      }
    });
    if (missing.length > 0) {
      const loaded = await loadMissing(missing);
      for (const i of missing) {
        const value = loaded.get(i);
        const f = found[i];
        if (value?.cache && f) this.store(keys[i]!, f.generation, value);
        out[i] = value?.value;
      }
    }
    return out;
  }

  private async lookupMany(cache: CacheName, keys: readonly CacheKey[]): Promise<({ generation: string; entry: Stamped<unknown> | undefined } | undefined)[]> {
    const none = () => keys.map(() => undefined);
    if (keys.length === 0) return [];
    if (this.closed || this.redis.status !== 'ready' || Date.now() < this.skipUntil) {
      for (const _key of keys) this.report(cache, 'bypass');
      return none();
    }
    try {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.facetrailCacheLookup(key.gen, key.dataPrefix, key.dataSuffix, this.genTtl);
      const results = await pipeline.exec();
      if (!results) throw new Error('read cache pipeline was discarded');
      const failed = results.find(([err]) => err)?.[0];
      if (failed) throw failed;
      this.errorsInRow = 0;
      return results.map(([, value]) => fromReply(value as [string, string | null]));
    } catch (err) {
      this.failed(err as Error);
      for (const _key of keys) this.report(cache, 'error');
      return none();
    }
  }

  /** Generation + entry, or undefined when the cache cannot be used now (already counted). */
  private async lookup(cache: CacheName, key: CacheKey): Promise<{ generation: string; entry: Stamped<unknown> | undefined } | undefined> {
    if (this.closed || this.redis.status !== 'ready' || Date.now() < this.skipUntil) {
      this.report(cache, 'bypass');
      return undefined;
    }
    try {
      const reply = await this.redis.facetrailCacheLookup(key.gen, key.dataPrefix, key.dataSuffix, this.genTtl);
      this.errorsInRow = 0;
      return fromReply(reply);
    } catch (err) {
      this.failed(err as Error);
      this.report(cache, 'error');
      return undefined;
    }
  }

  private store(key: CacheKey, generation: string, entry: Stamped<unknown>): void {
    if (this.closed || this.redis.status !== 'ready') return;
    this.redis
      .set(`${key.dataPrefix}${generation}${key.dataSuffix}`, JSON.stringify({ s: positionToCursor(entry.stamp), v: entry.value }), 'EX', this.opts.ttlSeconds)
      .catch((err: unknown) => this.failed(err as Error));
  }

  private report(cache: CacheName, result: CacheResult): void {
    try {
      this.opts.onResult?.(cache, result);
    } catch {
      /* an observer must never break a read */
    }
  }

  private failed(err: Error): void {
    this.errorsInRow++;
    if (this.errorsInRow >= (this.opts.breakerErrors ?? 3)) {
      this.skipUntil = Date.now() + (this.opts.cooldownMs ?? 1_000);
      this.errorsInRow = 0;
    }
    this.logError(err, 'read cache error; reading PostgreSQL');
  }

  /** At most one line every 10 s, with the number of errors not logged since the last one. */
  private logError(err: Error, msg: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < 10_000) {
      this.suppressed++;
      return;
    }
    this.opts.logger.warn({ err: err.message, suppressed: this.suppressed }, msg);
    this.lastLogAt = now;
    this.suppressed = 0;
  }

  close(): void {
    this.closed = true;
    this.redis.disconnect();
  }
}

/** An entry may answer a read that must be at least as new as `atLeast` (any entry without one). */
function isFresh(entry: Stamped<unknown> | undefined, atLeast: Position | undefined): entry is Stamped<unknown> {
  return entry !== undefined && (atLeast === undefined || comparePositions(entry.stamp, atLeast) >= 0);
}

/** The lookup script's reply: the generation, and the entry stored under it if any. */
function fromReply([generation, raw]: [string, string | null]): { generation: string; entry: Stamped<unknown> | undefined } {
  return { generation, entry: raw === null ? undefined : decode(raw) };
}

function decode(raw: string): Stamped<unknown> | undefined {
  try {
    const parsed = JSON.parse(raw) as { s?: unknown; v?: unknown };
    if (typeof parsed.s !== 'string' || parsed.v === undefined) return undefined;
    return { stamp: cursorToPosition(parsed.s), value: parsed.v };
  } catch {
    return undefined; // an unreadable entry is a miss, and is overwritten
  }
}
