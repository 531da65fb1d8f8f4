// Deletes read-cache entries outright, every generation of them, for content that must not outlive
// an erasure: bumping the generation only makes an entry unreachable, and it would still sit in
// Redis (with the faces and filename it cached) until its TTL. SCAN per hash tag: erasures are rare,
// and a pattern within one tag stays cheap. Never throws: a failed purge is logged; the entries then
// expire by TTL at the latest.

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface CachePurgeDeps {
  redis: Redis;
  logger: Logger;
  keyPrefix: string;
}

/** Glob metacharacters in an id become literal. */
const literal = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export function cachePurger(deps: CachePurgeDeps) {
  /** Deletes every data entry (any schema version, any generation) under these hash tags, e.g. `img:<id>`, `gallery:all`. */
  return async function purge(tags: Iterable<string>): Promise<number> {
    let deleted = 0;
    for (const tag of new Set(tags)) {
      const match = `${literal(deps.keyPrefix)}cache:v*:{${literal(tag)}}:*`;
      try {
        let cursor = '0';
        do {
          const [next, keys] = await deps.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) deleted += await deps.redis.unlink(...keys);
        } while (cursor !== '0');
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, tag }, 'read cache purge after an erasure failed; the entries expire by TTL');
      }
    }
    return deleted;
  };
}
