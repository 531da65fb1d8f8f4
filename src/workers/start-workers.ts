// The worker role (`worker` and `all`): every job bridge (a reactor of the log under a
// ProjectorRunner, its jobs into a queue), every queue's worker and the maintenance schedulers,
// as listed in src/workers/index.ts; and the queue gauges of /metrics.

import type pg from 'pg';
import type { Logger } from 'pino';
import { BlobStore } from '../blobs/blob-store.js';
import { ImageService } from '../commands/images/image-service.js';
import { bullPrefix, type Config } from '../config.js';
import { producerConnection } from '../db/bullmq-connections.js';
import type { EventStore } from '../eventstore/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { ProjectorRunner, type RunnerOptions } from '../projections/runner.js';
import { jobBridges, maintenanceTasks, queueNames, queueWorkers } from './index.js';
import { erasureExecutorBridge } from './privacy/erasure-executor.js';
import { autoPeopleBridge } from './people/auto-people.js';
import type { KeyStore } from '../privacy/key-store.js';
import { watchQueues } from './queue-metrics.js';
import type { Stoppable, WorkerRoleDeps } from './worker-role.js';

export interface StartWorkersOptions {
  /** The job bridges (events → jobs). Default true. */
  bridge?: boolean;
  /** The analysis worker (jobs → results). Default true. */
  analysis?: boolean;
  /** The maintenance schedulers and their worker. Default true. */
  schedulers?: boolean;
  /** Passed to the bridges' ProjectorRunners (tests shorten the back-off). */
  bridgeRunner?: RunnerOptions;
}

export interface WorkersHandle {
  stop(): Promise<void>;
}

export interface WorkerProcessDeps {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  eventStore: EventStore;
  /** Exports the queue gauges when given (the runtime's registry). */
  metrics?: Metrics;
  /** The key store, for the erasure executor (the runtime's `privacy`); without it the executor does not run here. */
  privacy?: { keys: KeyStore };
  /** The people reactor's lookups (the runtime's); without them it does not run here. */
  recognition?: WorkerRoleDeps['recognition'];
}

export async function startWorkers(rt: WorkerProcessDeps, opts: StartWorkersOptions = {}): Promise<WorkersHandle> {
  const { config, logger } = rt;
  const prefix = bullPrefix(config);
  const blobs = new BlobStore(rt.pool);
  const deps: WorkerRoleDeps = { ...rt, prefix, blobs, images: new ImageService(rt.eventStore, blobs), maintenanceTasks, keys: rt.privacy?.keys, recognition: rt.recognition };
  if (rt.metrics) watchQueues(rt.metrics, { connection: producerConnection(config.redisUrl), prefix, queues: queueNames }); // the worker role exports the queue counts

  const bridges =
    opts.bridge === false
      ? []
      : jobBridges.filter((spec) => (spec !== erasureExecutorBridge || deps.keys !== undefined) && (spec !== autoPeopleBridge || deps.recognition !== undefined)).map((spec) => {
          const bridge = spec.start(deps);
          const runner = new ProjectorRunner(config.databaseUrl, rt.eventStore, bridge.consumer, logger, opts.bridgeRunner).start();
          return { name: spec.reactor.name, bridge, runner };
        });
  const started: { queue: string; worker: Stoppable }[] = [];
  for (const q of queueWorkers) {
    if (opts[q.option] === false) continue;
    started.push({ queue: q.queue, worker: await q.start(deps) });
  }
  logger.info({ bridges: bridges.map((b) => b.name), queues: started.map((s) => s.queue), detector: config.workers.detector, concurrency: config.workers.concurrency }, 'workers started');

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        const step = async (what: string, fn: () => Promise<unknown>) => {
          logger.debug(`stopping the workers: ${what}`);
          await fn().catch((err: unknown) => logger.error({ err }, `stopping the workers: ${what} failed`));
        };
        for (const b of bridges) b.bridge.cancel(); // an enqueue waiting for Redis must not hold up the shutdown
        for (const b of bridges) await step(`job bridge ${b.name}`, () => b.runner.stop());
        for (const s of [...started].reverse()) await step(`${s.queue} worker`, () => s.worker.stop()); // finishes the jobs in hand
        for (const b of bridges) await step(`job bridge ${b.name}'s queue`, () => b.bridge.close());
        logger.info('workers stopped');
      })();
      return stopping;
    },
  };
}
