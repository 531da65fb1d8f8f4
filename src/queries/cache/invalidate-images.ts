// After-commit hook of the images read model: bumps the generation of every image the batch
// touched, of its owner's gallery and of the 'all' gallery, in one Redis round trip, so no entry
// written before (or by a reader racing) the commit is read again. Owners come from rm.images in
// one query (deleted images keep their row). If Redis cannot be reached the keys are kept and
// bumped with the next batch or by a retry every second (bounded; past the bound the TTL is the
// safety net), and readers that pass consistentWith are protected by the entries' stamps anyway.

import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { RecordedEvent } from '../../eventstore/types.js';
import { CacheKeys } from './cache-keys.js';
import { BUMP_GENERATION, generationTtlSeconds } from './read-cache.js';

const IMAGE_STREAM = /^image-([0-9a-f-]{36})$/;
const MAX_PENDING = 10_000;
const RETRY_MS = 1_000;

export interface ImageCacheInvalidationDeps {
  redis: Redis;
  pool: pg.Pool;
  logger: Logger;
  keyPrefix: string;
  ttlSeconds: number;
  /** Longest one invalidation round trip may hold the projector up. */
  timeoutMs: number;
}

export function imageCacheInvalidation(deps: ImageCacheInvalidationDeps) {
  const keys = new CacheKeys(deps.keyPrefix);
  const genTtl = generationTtlSeconds(deps.ttlSeconds);
  const pending = new Set<string>();
  let retry: NodeJS.Timeout | undefined;

  async function bump(genKeys: Iterable<string>): Promise<void> {
    const all = new Set([...pending, ...genKeys]);
    if (all.size === 0) return;
    const pipeline = deps.redis.pipeline();
    for (const key of all) pipeline.eval(BUMP_GENERATION, 1, key, genTtl);
    let timer: NodeJS.Timeout | undefined;
    try {
      const results = await Promise.race([
        pipeline.exec(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`cache invalidation timed out after ${deps.timeoutMs} ms`)), deps.timeoutMs);
        }),
      ]);
      const failed = results?.find(([err]) => err)?.[0];
      if (!results || failed) throw failed ?? new Error('cache invalidation pipeline was discarded');
      pending.clear();
    } catch (err) {
      for (const key of all) if (pending.size < MAX_PENDING) pending.add(key);
      deps.logger.warn({ err: (err as Error).message, pending: pending.size }, 'read cache invalidation failed; retrying (entries expire by TTL at the latest)');
      retry ??= setTimeout(() => {
        retry = undefined;
        void bump([]);
      }, RETRY_MS).unref();
    } finally {
      clearTimeout(timer);
    }
  }

  return async function invalidateImages(projection: string, events: readonly RecordedEvent[]): Promise<void> {
    if (projection !== 'images') return;
    const ids = [...new Set(events.map((e) => IMAGE_STREAM.exec(e.stream)?.[1]).filter((id): id is string => id !== undefined))];
    if (ids.length === 0 && pending.size === 0) return;
    const { rows } = ids.length === 0 ? { rows: [] } : await deps.pool.query<{ owner_id: string }>('select distinct owner_id::text as owner_id from rm.images where image_id = any($1::uuid[])', [ids]);
    await bump([...ids.map((id) => keys.imageGen(id)), ...rows.map((r) => keys.galleryGen(r.owner_id)), keys.galleryGen('all')]);
  };
}
