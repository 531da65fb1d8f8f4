// What happens around a read model's batch commit, in every process that runs projectors: the
// hooks that tell the query side (cache invalidation, live GraphQL notifications) what changed.
// Part of the composition root: the runtime builds them (lazily) and the projector role gets them
// injected, so projections never import the read side or the HTTP edge.

import { imageNotifications, personNotifications } from './http/graphql/live.js';
import { accountCacheInvalidation } from './queries/identity/invalidate-accounts.js';
import { sessionCacheInvalidation } from './queries/identity/invalidate-sessions.js';
import { imageCacheInvalidation } from './queries/images/invalidate-images.js';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { AfterCommitHook } from './projections/runner.js';
import type { LocalEventData } from './eventstore/types.js';
import type { FieldOpener } from './privacy/sealing-event-store.js';

export interface CommitHooks {
  beforeCommit: AfterCommitHook[];
  afterCommit: AfterCommitHook[];
}

export function commitHooks(rt: {
  config: Config;
  logger: Logger;
  redis: Redis;
  pool: pg.Pool;
  /** The live notices' images read their filenames by reference from the log (rm.images.filename_event) and open them. */
  localData: LocalEventData | undefined;
  opener: Pick<FieldOpener, 'openValues'>;
}): CommitHooks {
  // Always, even with READ_CACHE=off here: other processes sharing the Redis may cache.
  const cache = { redis: rt.redis, logger: rt.logger, keyPrefix: rt.config.redisKeyPrefix, ttlSeconds: rt.config.cache.ttlSeconds };
  return {
    // A deactivation or demotion must not be served from the cache once it is visible: the
    // account's entry dies before the commit, and again after it (src/queries/cache/cached-accounts.ts).
    // Bounded by the cache timeout: this holds the projector's transaction open.
    // The same for a session revoked: its user's entry holds the revoked sessions (src/queries/identity/cached-accounts.ts).
    beforeCommit: [accountCacheInvalidation({ ...cache, timeoutMs: rt.config.cache.timeoutMs }), sessionCacheInvalidation({ ...cache, pool: rt.pool, timeoutMs: rt.config.cache.timeoutMs })],
    afterCommit: [
      accountCacheInvalidation({ ...cache, timeoutMs: Math.max(rt.config.cache.timeoutMs, 1_000) }),
      sessionCacheInvalidation({ ...cache, pool: rt.pool, timeoutMs: Math.max(rt.config.cache.timeoutMs, 1_000) }),
      imageCacheInvalidation({ ...cache, pool: rt.pool, timeoutMs: Math.max(rt.config.cache.timeoutMs, 1_000) }),
      // Live GraphQL subscriptions: publish the changed images and people over Redis to every API process.
      imageNotifications(rt),
      personNotifications(rt),
    ],
  };
}
