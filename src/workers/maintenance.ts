// Periodic maintenance (DESIGN.md §6, in place of celery-beat): BullMQ job schedulers on the
// `maintenance` queue and the worker that runs them. The tasks themselves live in the features
// (workers/<feature>/) and are listed in src/workers/index.ts. Scheduler ids are the task names,
// so registering them again (a restart, a second instance) updates the one scheduler instead of
// adding another, and BullMQ hands each run to one worker only.

import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { pause } from '../abortable-pause.js';
import { workerConnection } from '../db/bullmq-connections.js';
import { reportRedisError } from '../db/redis-outage.js';
import { accessLogRetentionTask } from './access/access-log-retention.js';
import { biometricRetentionTask, erasureServiceEraser } from './privacy/biometric-retention.js';
import { executingErasureService } from './privacy/erasure-executor.js';
import { MAINTENANCE_QUEUE } from './queues.js';
import type { MaintenanceDeps, MaintenanceTask, QueueWorker } from './worker-role.js';

export interface SchedulerDeps extends MaintenanceDeps {
  redisUrl: string;
  prefix: string;
  everyMs: number;
  logger: Logger;
  tasks: readonly MaintenanceTask[];
}

export interface SchedulersHandle {
  queue: Queue;
  worker: Worker;
  /** Resolves once the schedulers are registered (retried in the background while Redis is down). */
  registered: Promise<void>;
  close(): Promise<void>;
}

/** Creates (or updates) one scheduler per task; safe to run any number of times, anywhere. */
export async function registerSchedulers(queue: Queue, everyMs: number, tasks: readonly Pick<MaintenanceTask, 'name'>[]): Promise<void> {
  for (const { name } of tasks) {
    await queue.upsertJobScheduler(name, { every: everyMs }, {
      name,
      data: {},
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }
}

export function createMaintenanceQueue(redisUrl: string, prefix: string, logger: Logger): Queue {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: workerConnection(redisUrl), prefix });
  queue.on('error', (err: Error) => reportRedisError(logger, 'maintenance queue', err));
  return queue;
}

export function startSchedulers(deps: SchedulerDeps): SchedulersHandle {
  const log = deps.logger.child({ component: 'schedulers' });
  const queue = createMaintenanceQueue(deps.redisUrl, deps.prefix, log);
  const byName = new Map(deps.tasks.map((t) => [t.name, t]));
  const run = async (job: Job): Promise<unknown> => {
    const task = byName.get(job.name);
    if (!task) throw new Error(`unknown maintenance task '${job.name}'`);
    return task.run(deps, log);
  };
  const worker = new Worker(MAINTENANCE_QUEUE, run, { connection: workerConnection(deps.redisUrl), prefix: deps.prefix, concurrency: 1 });
  worker.on('error', (err: Error) => reportRedisError(log, 'maintenance worker', err));
  worker.on('failed', (job, err) => log.error({ task: job?.name, err: err.message }, 'maintenance task failed'));
  // Registration must not hold up start-up while Redis is down: retry in the background.
  const stop = new AbortController();
  // Raced with the stop: BullMQ waits for a first connection forever, even after close().
  const aborted = new Promise<'aborted'>((resolve) => stop.signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
  const registered = (async () => {
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      try {
        if ((await Promise.race([registerSchedulers(queue, deps.everyMs, deps.tasks), aborted])) === 'aborted') return;
        log.debug({ tasks: deps.tasks.map((t) => t.name), everyMs: deps.everyMs }, 'maintenance schedulers registered');
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


/** The maintenance queue's worker: runs the scheduled tasks (StartWorkersOptions.schedulers). */
export const maintenanceQueueWorker: QueueWorker = {
  queue: MAINTENANCE_QUEUE,
  option: 'schedulers',
  start(d) {
    const w = d.config.workers;
    // Retention needs the key store (which images still hold biometric data) and the erasure
    // service: a task with its own dependencies, added where the key store is.
    const retention = d.keys
      ? [
          biometricRetentionTask({
            pool: d.pool,
            store: d.eventStore,
            eraser: erasureServiceEraser(executingErasureService({ store: d.eventStore, keys: d.keys, pool: d.pool, blobs: d.blobs }), d.eventStore),
            retentionDays: d.config.privacy.biometricRetentionDays,
          }),
          accessLogRetentionTask({ pool: d.pool, store: d.eventStore, keys: d.keys, retentionDays: d.config.accessLog.retentionDays }),
        ]
      : [];
    const handle = startSchedulers({
      redisUrl: d.config.redisUrl,
      prefix: d.prefix,
      everyMs: w.schedulerEveryMs,
      pool: d.pool,
      images: d.images,
      blobs: d.blobs,
      detector: w.detector,
      stuckPendingMinutes: w.stuckPendingMinutes,
      blobGraceSeconds: w.blobGraceSeconds,
      logger: d.logger,
      tasks: [...d.maintenanceTasks, ...retention],
    });
    return Promise.resolve({ stop: () => handle.close() });
  },
};
