// The Redis side of the read cache: one dedicated connection with no offline queue and a bounded
// wait, so a Redis that is down answers "no" at once and a slow one within the timeout.
// `through` is cache-aside with generations and position stamps (ARCHITECTURE.md, "Read cache"):
//   1. one round trip (a Lua script) reads the key's generation and the entry stored under it;
//   2. an entry is used only if its stamp (the images projection's checkpoint, read before the
//      data) is at or after the position the caller must see (`consistentWith`);
//   3. otherwise the loader reads PostgreSQL and the result is stored under the generation read in
//      step 1 — if the projector has invalidated since (INCR), that write lands under a dead
//      generation and is never read.
// Entries also stay decoded in this process (a size-bounded LRU keyed by key and generation): the
// lookup offers the generation it holds, and when that is still current Redis answers with the
// generation alone, so a hit costs neither the transfer nor a JSON.parse. Redis remains the judge
// of freshness on every read; the local copy only saves bytes. Entries are immutable (frozen).
// Any Redis failure is logged (rate-limited), counted, and answered from PostgreSQL; nothing here
// throws to the caller except the loader's own errors.

import { Redis, type ChainableCommander, type Result } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { reportRedisError } from '../../db/redis-outage.js';
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
  /** Decoded entries kept in this process, bounded by their JSON size; 0 keeps none. */
  localMaxBytes?: number;
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

/**
 * Generation (seeded from the Redis clock when absent, so it never repeats an old one) + the entry
 * under it; just `{g, 1}` when g is the generation the caller already holds (ARGV[4]).
 */
const LOOKUP = `
local g = redis.call('GET', KEYS[1])
if not g then
  local t = redis.call('TIME')
  g = t[1] .. string.format('%06d', tonumber(t[2]))
  if not redis.call('SET', KEYS[1], g, 'NX', 'EX', ARGV[3]) then g = redis.call('GET', KEYS[1]) end
end
if ARGV[4] ~= '' and g == ARGV[4] then return {g, 1} end
return {g, redis.call('GET', ARGV[1] .. g .. ARGV[2])}
`;

/** The lookup's reply: the generation, then the entry (null: none; 1: the one the caller holds). */
type LookupReply = [string, string | null | number];

/** Invalidation: the next generation (or a fresh seed when the counter has expired). */
export const BUMP_GENERATION = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])), 'EX', ARGV[1])
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    facetrailCacheLookup(genKey: string, dataPrefix: string, dataSuffix: string, genTtlSeconds: number, heldGeneration: string): Result<LookupReply, Context>;
  }
  interface ChainableCommander {
    facetrailCacheLookup(genKey: string, dataPrefix: string, dataSuffix: string, genTtlSeconds: number, heldGeneration: string): ChainableCommander;
  }
}

/** Generation counters outlive the entries under them (an expired counter only costs a miss). */
export const generationTtlSeconds = (ttlSeconds: number) => ttlSeconds * 2;

/** A decoded entry held in this process, with the generation it was stored under. */
interface Held {
  generation: string;
  entry: Stamped<unknown>;
}

interface Found {
  generation: string;
  entry: Stamped<unknown> | undefined;
}

interface QueuedLookup {
  key: CacheKey;
  heldGeneration: string;
  resolve: (reply: LookupReply) => void;
  reject: (err: Error) => void;
}

const heldKey = (key: CacheKey) => `${key.dataPrefix}${key.dataSuffix}`;

/** One entry a result was made from: its key and the generation it was read under. */
export interface CacheDependency {
  key: CacheKey;
  generation: string;
}

/**
 * What a set of reads depended on (the GraphQL response memo): every cache entry with the
 * generation it was read under. A read that could not go through the cache (Redis down, bypass)
 * or anything else not made of cache entries marks the set incomplete: nothing built from it may
 * be kept.
 */
export class CacheDependencies {
  private readonly byKey = new Map<string, CacheDependency>();
  private tracked = true;

  add(key: CacheKey, generation: string): void {
    const known = this.byKey.get(heldKey(key));
    // The same entry read twice under two generations: it changed during the request.
    if (known && known.generation !== generation) this.tracked = false;
    this.byKey.set(heldKey(key), { key, generation });
  }

  untracked(): void {
    this.tracked = false;
  }

  /** Every read was a tracked cache read, and there was at least one. */
  get complete(): boolean {
    return this.tracked && this.byKey.size > 0;
  }

  list(): CacheDependency[] {
    return [...this.byKey.values()];
  }
}

export class ReadCache {
  readonly keys: CacheKeys;
  private readonly redis: Redis;
  private readonly genTtl: number;
  private errorsInRow = 0;
  private skipUntil = 0;
  private lastLogAt = 0;
  private suppressed = 0;
  private closed = false;
  private readonly held: LRUCache<string, Held> | undefined;
  private queued: QueuedLookup[] = [];
  private readonly connecting: Promise<void>;

  constructor(private readonly opts: ReadCacheOptions) {
    this.keys = new CacheKeys(opts.keyPrefix);
    this.genTtl = generationTtlSeconds(opts.ttlSeconds);
    const localMaxBytes = opts.localMaxBytes ?? 32 * 1024 * 1024;
    // Sized by the entry's JSON length (its decoded form takes a few times that); dropped after
    // the same TTL as in Redis, the safety net against an invalidation that never came.
    this.held = localMaxBytes > 0 ? new LRUCache<string, Held>({ maxSize: localMaxBytes, ttl: opts.ttlSeconds * 1000 }) : undefined;
    this.redis = new Redis(opts.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      // The bound callers see is `timed` (below); this one only clears commands Redis never answers.
      commandTimeout: Math.max(1_000, opts.timeoutMs * 10),
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: 'facetrail-read-cache',
    });
    this.redis.defineCommand('facetrailCacheLookup', { numberOfKeys: 1, lua: LOOKUP });
    this.redis.on('error', (err: Error) => reportRedisError(this.opts.logger, 'read cache', err));
    this.connecting = this.redis.connect();
    this.connecting.catch(() => undefined); // reported by the 'error' listener
  }

  /** Settles when the first connection is ready (a lookup before it is a bypass), or has failed. */
  connected(): Promise<void> {
    return this.connecting;
  }

  /**
   * The cached value for `key` if there is one at least as new as `atLeast`, else `load()`'s
   * (stored for the next reader). `load` returns undefined for "nothing to cache" (not found).
   */
  async through<T>(cache: CacheName, key: CacheKey, atLeast: Position | undefined, load: () => Promise<Stamped<T> | undefined>, dependencies?: CacheDependencies): Promise<T | undefined> {
    const found = await this.lookup(cache, key, atLeast);
    if (found) dependencies?.add(key, found.generation);
    else dependencies?.untracked();
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
    dependencies?: CacheDependencies,
  ): Promise<(T | undefined)[]> {
    const found = await this.lookupMany(cache, keys, atLeast);
    keys.forEach((key, i) => {
      const f = found[i];
      if (f) dependencies?.add(key, f.generation);
      else dependencies?.untracked();
    });
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

  /**
   * Whether every entry is still under the generation it was read under (one round trip, like a
   * lookup of them all; false when the cache cannot be asked now). Nothing is fetched or decoded:
   * the generations are offered as held, so Redis answers a current one with the generation alone.
   */
  async stillCurrent(dependencies: readonly CacheDependency[]): Promise<boolean> {
    if (dependencies.length === 0 || !this.usable()) return false;
    try {
      const replies = await Promise.all(dependencies.map((d) => this.send(d.key, d.generation)));
      this.errorsInRow = 0;
      return replies.every(([generation], i) => generation === dependencies[i]!.generation);
    } catch (err) {
      this.failed(err as Error);
      return false;
    }
  }

  private usable(): boolean {
    return !this.closed && this.redis.status === 'ready' && Date.now() >= this.skipUntil;
  }

  private async lookupMany(cache: CacheName, keys: readonly CacheKey[], atLeast: Position | undefined): Promise<(Found | undefined)[]> {
    if (keys.length === 0) return [];
    if (!this.usable()) {
      for (const _key of keys) this.report(cache, 'bypass');
      return keys.map(() => undefined);
    }
    try {
      const held = keys.map((key) => this.heldFor(key, atLeast));
      const replies = await Promise.all(keys.map((key, i) => this.send(key, held[i]?.generation ?? '')));
      this.errorsInRow = 0;
      return replies.map((reply, i) => this.resolve(keys[i]!, reply, held[i]));
    } catch (err) {
      this.failed(err as Error);
      for (const _key of keys) this.report(cache, 'error');
      return keys.map(() => undefined);
    }
  }

  /** Generation + entry, or undefined when the cache cannot be used now (already counted). */
  private async lookup(cache: CacheName, key: CacheKey, atLeast: Position | undefined): Promise<Found | undefined> {
    return (await this.lookupMany(cache, [key], atLeast))[0];
  }

  /**
   * Queues one lookup; everything queued in the same event-loop turn goes to Redis as one pipeline
   * once the turn has handled its I/O (setImmediate). Under load many requests share one write
   * and one reply (on loopback a write cost as much as the rest of a cached read), and a lone
   * request waits for nothing: the check phase follows the poll phase that brought it. The
   * timeout runs from that send (see `timed`).
   */
  private send(key: CacheKey, heldGeneration: string): Promise<LookupReply> {
    return new Promise<LookupReply>((resolve, reject) => {
      if (this.queued.push({ key, heldGeneration, resolve, reject }) === 1) setImmediate(this.flush);
    });
  }

  private readonly flush = (): void => {
    const batch = this.queued;
    this.queued = [];
    const pipeline: ChainableCommander = this.redis.pipeline();
    for (const q of batch) pipeline.facetrailCacheLookup(q.key.gen, q.key.dataPrefix, q.key.dataSuffix, this.genTtl, q.heldGeneration);
    this.timed(pipeline.exec()).then(
      (results) =>
        batch.forEach((q, i) => {
          const [err, reply] = results?.[i] ?? [new Error('read cache pipeline was discarded'), undefined];
          if (err) q.reject(err);
          else q.resolve(reply as LookupReply);
        }),
      (err: Error) => {
        for (const q of batch) q.reject(err);
      },
    );
  };

  /** The entry this process holds for `key`, if it could answer a read at `atLeast`. */
  private heldFor(key: CacheKey, atLeast: Position | undefined): Held | undefined {
    const held = this.held?.get(heldKey(key));
    return held && isFresh(held.entry, atLeast) ? held : undefined;
  }

  /** The lookup script's reply as generation + entry (the held one when Redis says it is current). */
  private resolve(key: CacheKey, [generation, raw]: LookupReply, held: Held | undefined): Found {
    if (raw === 1 && held?.generation === generation) return { generation, entry: held.entry };
    const entry = typeof raw === 'string' ? decode(raw) : undefined;
    if (entry) this.hold(key, generation, entry, raw as string);
    return { generation, entry };
  }

  private hold(key: CacheKey, generation: string, entry: Stamped<unknown>, json: string): void {
    if (!this.held || json.length > this.held.maxSize) return;
    this.held.set(heldKey(key), { generation, entry: deepFreeze(entry) }, { size: json.length });
  }

  /**
   * `command`, or a timeout error after `timeoutMs`, counted from when it was sent: a lookup's
   * wait for its turn's pipeline is this process's lag, not Redis's. The timer's expiry is checked
   * once more after the event loop has polled for I/O (setImmediate): a reply that arrived while
   * the loop was busy is a reply, not a timeout (timers run before I/O in a loop turn, so a plain
   * timer blames Redis for the process's own lag and opens the breaker under load).
   */
  private timed<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => setImmediate(() => reject(new Error(`read cache command took more than ${this.opts.timeoutMs} ms`))), this.opts.timeoutMs);
      command.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private store(key: CacheKey, generation: string, entry: Stamped<unknown>): void {
    if (this.closed || this.redis.status !== 'ready') return;
    const json = JSON.stringify({ s: positionToCursor(entry.stamp), v: entry.value });
    this.hold(key, generation, entry, json);
    this.redis.set(`${key.dataPrefix}${generation}${key.dataSuffix}`, json, 'EX', this.opts.ttlSeconds).catch((err: unknown) => this.failed(err as Error));
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
    this.held?.clear();
    this.redis.disconnect();
  }
}

/** An entry may answer a read that must be at least as new as `atLeast` (any entry without one). */
function isFresh(entry: Stamped<unknown> | undefined, atLeast: Position | undefined): entry is Stamped<unknown> {
  return entry !== undefined && (atLeast === undefined || comparePositions(entry.stamp, atLeast) >= 0);
}

/**
 * Freezes an entry and everything in it: one copy answers many requests. Children of an object
 * that is frozen already are visited too (a shallow freeze leaves them open); entries are JSON
 * data, so there are no cycles.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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
