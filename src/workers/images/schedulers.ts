// Periodic maintenance (DESIGN.md §6, in place of celery-beat): BullMQ job schedulers on the
// `maintenance` queue and the worker that runs them. Scheduler ids are fixed, so registering them
// again (a restart, a second instance) updates the one scheduler instead of adding another, and
// BullMQ hands each run to one worker only.
//
// Each task is also a plain function, so it can be run (and tested) without Redis.

import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { BlobStore } from '../../blobs/blob-store.js';
import { systemActor } from '../../commands/context.js';
import type { ImageService } from '../../commands/images/image-service.js';
import { DomainError } from '../../domain/decider.js';
import type { DetectorName } from '../../inference/types.js';
import { pipelineRef } from '../../inference/pipeline-ref.js';
import { MAINTENANCE_QUEUE } from '../queues.js';
import { workerConnection } from '../../db/bullmq-connections.js';
import { pause } from '../../abortable-pause.js';

export const MAINTENANCE_TASKS = ['reanalyze-stale', 'purge-sessions', 'collect-blobs'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

// ---------------------------------------------------------------------------------------------
// The tasks

export interface ReanalyzeStaleDeps {
  pool: pg.Pool;
  images: Pick<ImageService, 'requestAnalysis'>;
  detector: DetectorName;
  stuckPendingMinutes: number;
  /** Most images requested per run (default 100); the next run takes the rest. */
  limit?: number;
  logger?: Logger;
}

export interface ReanalyzeStaleResult {
  stuckPending: number;
  staleModel: number;
  skipped: number;
}

/**
 * Requests analysis again for images (per rm.images, not deleted) that are pending for longer
 * than `stuckPendingMinutes` (by updated_at), or analyzed with another pipeline version than the
 * current one. Oldest first, at most `limit` per run.
 */
export async function reanalyzeStale(deps: ReanalyzeStaleDeps): Promise<ReanalyzeStaleResult> {
  const ref = pipelineRef(deps.detector);
  const { rows } = await deps.pool.query<{ image_id: string; reason: 'stuck_pending' | 'stale_model' }>(
    `select image_id::text as image_id,
            case when status = 'pending' then 'stuck_pending' else 'stale_model' end as reason
       from rm.images
      where deleted_at is null
        and ((status = 'pending' and updated_at < now() - make_interval(mins => $1))
          or (status = 'analyzed' and model_version is distinct from $2))
      order by updated_at, image_id
      limit $3`,
    [deps.stuckPendingMinutes, ref.version, deps.limit ?? 100],
  );
  const ctx = { actor: systemActor('scheduler:reanalyze-stale'), correlationId: randomUUID() };
  const result: ReanalyzeStaleResult = { stuckPending: 0, staleModel: 0, skipped: 0 };
  for (const row of rows) {
    try {
      await deps.images.requestAnalysis(row.image_id, ref, row.reason, ctx);
      if (row.reason === 'stuck_pending') result.stuckPending++;
      else result.staleModel++;
    } catch (err) {
      // Deleted since the read model saw it (or not in the log at all): nothing to request.
      if (!(err instanceof DomainError && err.code === 'image_not_found')) throw err;
      result.skipped++;
    }
  }
  if (rows.length > 0) deps.logger?.info({ ...result, correlationId: ctx.correlationId }, 'reanalyze-stale: analysis requested');
  return result;
}

/** Deletes rm.sessions rows that expired more than a day ago; returns how many. */
export async function purgeSessions(pool: pg.Pool): Promise<number> {
  const { rowCount } = await pool.query(`delete from rm.sessions where expires_at < now() - interval '1 day'`);
  return rowCount ?? 0;
}

/** Deletes blobs no live image references, older than the grace period; returns their sha256s. */
export function collectBlobs(blobs: Pick<BlobStore, 'collectOrphans'>, graceSeconds: number): Promise<string[]> {
  return blobs.collectOrphans(graceSeconds);
}

// ---------------------------------------------------------------------------------------------
// Scheduling

export interface SchedulerDeps {
  redisUrl: string;
  prefix: string;
  everyMs: number;
  pool: pg.Pool;
  images: Pick<ImageService, 'requestAnalysis'>;
  blobs: Pick<BlobStore, 'collectOrphans'>;
  detector: DetectorName;
  stuckPendingMinutes: number;
  blobGraceSeconds: number;
  logger: Logger;
}

export interface SchedulersHandle {
  queue: Queue;
  worker: Worker;
  /** Resolves once the schedulers are registered (retried in the background while Redis is down). */
  registered: Promise<void>;
  close(): Promise<void>;
}

/** Creates (or updates) one scheduler per task; safe to run any number of times, anywhere. */
export async function registerSchedulers(queue: Queue, everyMs: number): Promise<void> {
  for (const task of MAINTENANCE_TASKS) {
    await queue.upsertJobScheduler(task, { every: everyMs }, {
      name: task,
      data: {},
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }
}

export function createMaintenanceQueue(redisUrl: string, prefix: string, logger: Logger): Queue {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: workerConnection(redisUrl), prefix });
  queue.on('error', onceEvery(30_000, (err: Error) => logger.warn({ err: err.message }, 'maintenance queue: Redis error')));
  return queue;
}

export function startSchedulers(deps: SchedulerDeps): SchedulersHandle {
  const log = deps.logger.child({ component: 'schedulers' });
  const queue = createMaintenanceQueue(deps.redisUrl, deps.prefix, log);
  const run = async (job: Job): Promise<unknown> => {
    switch (job.name as MaintenanceTask) {
      case 'reanalyze-stale':
        return reanalyzeStale({ ...deps, logger: log });
      case 'purge-sessions': {
        const purged = await purgeSessions(deps.pool);
        if (purged > 0) log.info({ purged }, 'purge-sessions: expired sessions deleted');
        return { purged };
      }
      case 'collect-blobs': {
        const deleted = await collectBlobs(deps.blobs, deps.blobGraceSeconds);
        if (deleted.length > 0) log.info({ deleted: deleted.length }, 'collect-blobs: orphan blobs deleted');
        return { deleted: deleted.length };
      }
      default:
        throw new Error(`unknown maintenance task '${job.name}'`);
    }
  };
  const worker = new Worker(MAINTENANCE_QUEUE, run, { connection: workerConnection(deps.redisUrl), prefix: deps.prefix, concurrency: 1 });
  worker.on('error', onceEvery(30_000, (err: Error) => log.warn({ err: err.message }, 'maintenance worker: Redis error')));
  worker.on('failed', (job, err) => log.error({ task: job?.name, err: err.message }, 'maintenance task failed'));
  // Registration must not hold up start-up while Redis is down: retry in the background.
  const stop = new AbortController();
  // Raced with the stop: BullMQ waits for a first connection forever, even after close().
  const aborted = new Promise<'aborted'>((resolve) => stop.signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
  const registered = (async () => {
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      try {
        if ((await Promise.race([registerSchedulers(queue, deps.everyMs), aborted])) === 'aborted') return;
        log.debug({ tasks: MAINTENANCE_TASKS, everyMs: deps.everyMs }, 'maintenance schedulers registered');
        return;
      } catch (err) {
        if (stop.signal.aborted) return;
        log.warn({ err: (err as Error).message, attempt }, 'registering the maintenance schedulers failed; retrying');
        await pause(Math.min(attempt * 1_000, 30_000), stop.signal);
      }
    }
  })();
  return {
    queue,
    worker,
    registered,
    async close() {
      stop.abort();
      await worker.close();
      await queue.close();
      await registered;
    },
  };
}

function onceEvery<A extends unknown[]>(ms: number, fn: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args) => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    fn(...args);
  };
}
