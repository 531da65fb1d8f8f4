// What happens after a read model's batch commits, in every process that runs projectors: the
// hooks that tell the query side (cache invalidation, live GraphQL notifications) what changed.

import { imageNotifications } from '../http/graphql/live.js';
import { imageCacheInvalidation } from '../queries/cache/invalidate-images.js';
import type { Runtime } from '../runtime.js';
import type { AfterCommitHook } from './runner.js';

export function commitHooks(rt: Pick<Runtime, 'config' | 'logger' | 'redis' | 'pool'>): AfterCommitHook[] {
  return [
    // Always, even with READ_CACHE=off here: other processes sharing the Redis may cache.
    imageCacheInvalidation({
      redis: rt.redis,
      pool: rt.pool,
      logger: rt.logger,
      keyPrefix: rt.config.redisKeyPrefix,
      ttlSeconds: rt.config.cache.ttlSeconds,
      timeoutMs: Math.max(rt.config.cache.timeoutMs, 1_000),
    }),
    // Live GraphQL subscriptions: publish the changed images over Redis to every API process.
    imageNotifications(rt),
  ];
}
