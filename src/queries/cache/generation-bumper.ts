// Invalidation of read-cache entries: bumps generation counters (read-cache.ts) in one Redis
// round trip, bounded by a timeout. Keys that could not be bumped are kept and bumped with the
// next call or by a retry every second (at most 10 000 kept; past that the TTL is the safety net).
// Never throws: a failed invalidation is logged and retried, never a failed projector batch.

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BUMP_GENERATION, generationTtlSeconds } from './read-cache.js';

const MAX_PENDING = 10_000;
const RETRY_MS = 1_000;

export interface GenerationBumperDeps {
  redis: Redis;
  logger: Logger;
  /** The read cache's entry TTL (generation counters outlive the entries under them). */
  ttlSeconds: number;
  /** Longest one invalidation round trip may hold the projector up. */
  timeoutMs: number;
}

export type GenerationBumper = (genKeys: Iterable<string>) => Promise<void>;

export function generationBumper(deps: GenerationBumperDeps): GenerationBumper {
  const genTtl = generationTtlSeconds(deps.ttlSeconds);
  const pending = new Set<string>();
  let retry: NodeJS.Timeout | undefined;

  return async function bump(genKeys: Iterable<string>): Promise<void> {
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
      for (const key of all) pending.delete(key);
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
  };
}
