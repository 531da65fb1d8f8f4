// The job bridge (DESIGN.md §6): a consumer of the log like a projector. Each ImageUploaded /
// ImageAnalysisRequested (a "request", identified by its event id) becomes one BullMQ job on the
// `analysis` queue with jobId = the event id. It runs under the ProjectorRunner, so its
// checkpoint only moves once the batch's jobs are in Redis: if Redis is down, `apply` throws, the
// transaction rolls back and the runner retries from the same checkpoint.
//
// A replay (checkpoint deleted, or jobs already removed from Redis) enqueues nothing that was
// already answered: before enqueueing, the bridge folds the image's stream and skips requests
// that have a result, and images that were deleted.

import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { loadStream } from '../../commands/command-handler.js';
import { imageDecider, type ImageState } from '../../domain/images/image.js';
import type { EventStore, RecordedEvent } from '../../eventstore/types.js';
import type { Projection } from '../../projections/projection.js';
import { ANALYSIS_QUEUE, producerConnection, type AnalysisJobData } from '../queues.js';

export const JOB_BRIDGE_NAME = 'job-bridge';
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
  let lastLogged = 0;
  queue.on('error', (err) => {
    // ioredis reports every failed reconnect; one line per 30 s is enough.
    if (Date.now() - lastLogged < 30_000) return;
    lastLogged = Date.now();
    logger.warn({ err: err.message }, 'job bridge: Redis connection error');
  });
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
  return {
    cancel: () => cancelled.abort(),
    name: JOB_BRIDGE_NAME,
    filter: { streamPrefixes: ['image-'], eventTypes: ['ImageUploaded', 'ImageAnalysisRequested'] },
    async apply(_tx, events) {
      // One fold per stream in the batch: what is answered (and deleted) now, not at event time.
      const states = new Map<string, ImageState>();
      for (const stream of new Set(events.map((e) => e.stream))) {
        states.set(stream, (await loadStream(opts.store, imageDecider, stream)).state);
      }
      const jobs = events.flatMap((event) => {
        const data = jobData(event, states.get(event.stream));
        return data ? [{ name: ANALYSIS_JOB_NAME, data, opts: jobOptions(event.id, opts.attempts, opts.backoffMs) }] : [];
      });
      if (jobs.length === 0) return;
      await bounded(opts.queue.addBulk(jobs), timeoutMs, cancelled.signal, `enqueueing ${jobs.length} analysis job(s)`);
      opts.logger?.debug({ jobs: jobs.length }, 'job bridge: analysis jobs enqueued');
    },
  };
}

/** The job for one request, or undefined when there is nothing to do. */
function jobData(event: RecordedEvent, state: ImageState | undefined): AnalysisJobData | undefined {
  if (event.type !== 'ImageUploaded' && event.type !== 'ImageAnalysisRequested') return undefined;
  if (!state || state.status === 'none' || state.status === 'deleted') return undefined;
  if (state.answered.has(event.id)) return undefined;
  const imageId = event.stream.slice('image-'.length);
  const sha256 = event.type === 'ImageUploaded' ? (event.data as { sha256: string }).sha256 : state.sha256;
  return { imageId, requestId: event.id, sha256, correlationId: event.metadata.correlationId ?? event.id };
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
