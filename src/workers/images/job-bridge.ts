// The job bridge's BullMQ side: the analysis-requests reactor (src/projections/images/
// analysis-requests.ts) run with a sink that adds its jobs to the `analysis` queue in one addBulk.
// It runs under the ProjectorRunner, so its checkpoint only moves once the batch's jobs are in
// Redis: if Redis is down, the add fails (bounded), the transaction rolls back and the runner
// retries from the same checkpoint.

import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { AnalysisJobData } from '../../domain/images/analysis-job.js';
import type { EventStore } from '../../eventstore/types.js';
import { analysisRequests } from '../../projections/images/analysis-requests.js';
import type { Projection } from '../../projections/projection.js';
import { reactorConsumer } from '../../projections/reactor.js';
import { ANALYSIS_QUEUE } from '../queues.js';
import type { JobBridgeSpec } from '../worker-role.js';
import { producerConnection } from '../../db/bullmq-connections.js';
import { reportRedisError } from '../../db/redis-outage.js';

export const ANALYSIS_JOB_NAME = 'analyze';

export interface JobBridgeOptions {
  store: EventStore;
  queue: Queue<AnalysisJobData>;
  /** Attempts per job (the analysis worker records ImageAnalysisFailed after the last one). */
  attempts: number;
  /** First retry delay; doubles with each attempt. */
  backoffMs: number;
  /** An enqueue that has not finished after this long fails the batch (default 5 s). */
  enqueueTimeoutMs?: number;
  logger?: Logger;
}

/** The bridge's own queue handle: a connection that fails fast while Redis is unreachable. */
export function createAnalysisQueue(redisUrl: string, prefix: string, logger: Logger): Queue<AnalysisJobData> {
  const queue = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: producerConnection(redisUrl), prefix });
  // ioredis reports every failed reconnect: one line per outage for the process.
  queue.on('error', (err) => reportRedisError(logger, 'job bridge', err));
  return queue;
}

function jobOptions(requestId: string, attempts: number, backoffMs: number): JobsOptions {
  return {
    jobId: requestId,
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    // Kept for a while for inspection; replays do not rely on them (the stream says what is answered).
    removeOnComplete: { age: 7 * 86_400, count: 10_000 },
    removeOnFail: { age: 30 * 86_400, count: 10_000 },
  };
}

export interface JobBridge extends Projection {
  /**
   * Fails the enqueue in hand (and any later one) at once, so the runner can stop without waiting
   * for a Redis that does not answer; the batch rolls back and is redone on the next start.
   */
  cancel(): void;
}

export function createJobBridge(opts: JobBridgeOptions): JobBridge {
  const timeoutMs = opts.enqueueTimeoutMs ?? 5_000;
  const cancelled = new AbortController();
  const consumer = reactorConsumer(analysisRequests, {
    store: opts.store,
    sink: {
      async enqueue(jobs) {
        const bulk = jobs.map((job) => ({ name: ANALYSIS_JOB_NAME, data: job.data, opts: jobOptions(job.id, opts.attempts, opts.backoffMs) }));
        await bounded(opts.queue.addBulk(bulk), timeoutMs, cancelled.signal, `enqueueing ${bulk.length} analysis job(s)`);
        opts.logger?.debug({ jobs: bulk.length }, 'job bridge: analysis jobs enqueued');
      },
    },
  });
  return { ...consumer, cancel: () => cancelled.abort() };
}

/** `work`, or a rejection after `ms` or on `signal` (BullMQ waits for a first connection forever). */
function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms (is Redis reachable?)`)), ms);
    onAbort = () => reject(new Error(`${what} cancelled: the job bridge is stopping`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, limit]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}

/** The analysis-requests reactor with its jobs going to the analysis queue. */
export const analysisJobBridge: JobBridgeSpec = {
  reactor: analysisRequests,
  start(d) {
    const queue = createAnalysisQueue(d.config.redisUrl, d.prefix, d.logger);
    const bridge = createJobBridge({ store: d.eventStore, queue, attempts: d.config.workers.attempts, backoffMs: d.config.workers.backoffMs, logger: d.logger });
    return { consumer: bridge, cancel: () => bridge.cancel(), close: () => queue.close() };
  },
};
