// Shared BullMQ plumbing of the workers: queue names, the key prefix, connection options and the
// analysis job's shape.

import type { ConnectionOptions } from 'bullmq';
import type { Config } from '../config.js';

export const ANALYSIS_QUEUE = 'analysis';
export const MAINTENANCE_QUEUE = 'maintenance';

/** BullMQ keys live under the deployment's Redis prefix: `<REDIS_KEY_PREFIX>bull:<queue>:…`. */
export const bullPrefix = (config: Pick<Config, 'redisKeyPrefix'>): string => `${config.redisKeyPrefix}bull`;

export interface AnalysisJobData {
  imageId: string;
  /** The id of the ImageUploaded / ImageAnalysisRequested event this job answers (also the job id). */
  requestId: string;
  sha256: string;
  correlationId: string;
}

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
