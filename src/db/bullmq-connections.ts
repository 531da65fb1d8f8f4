// BullMQ connection options over ioredis, for the two kinds of clients: workers (blocking
// commands that wait for Redis to come back) and producers that must fail fast.

import type { ConnectionOptions } from 'bullmq';

const reconnect = (attempt: number) => Math.min(attempt * 200, 2_000);

/**
 * Connection for workers (blocking commands): BullMQ requires `maxRetriesPerRequest: null`, and
 * commands wait for Redis to come back.
 */
export function workerConnection(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null, retryStrategy: reconnect };
}

/**
 * Connection for producers that must fail fast while Redis is down (the job bridge: its runner
 * rolls back and retries) instead of queueing commands in memory.
 */
export function producerConnection(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null, enableOfflineQueue: false, connectTimeout: 5_000, retryStrategy: reconnect };
}
