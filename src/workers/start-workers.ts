// Wires the images slice's background work for the `worker` and `all` roles: the job bridge (a
// ProjectorRunner), the analysis worker and the maintenance schedulers.

import { BlobStore } from '../blobs/blob-store.js';
import { ImageService } from '../commands/images/image-service.js';
import { AnalyzerPool } from './images/analyzer-pool.js';
import { ProjectorRunner, type RunnerOptions } from '../projections/runner.js';
import type { Runtime } from '../runtime.js';
import { startAnalysisWorker, type AnalysisWorkerHandle } from './images/analysis-worker.js';
import { createAnalysisQueue, createJobBridge, type JobBridge } from './images/job-bridge.js';
import { watchQueues } from './queue-metrics.js';
import { bullPrefix } from '../config.js';
import { producerConnection } from '../db/bullmq-connections.js';
import { startSchedulers, type SchedulersHandle } from './images/schedulers.js';

export interface StartWorkersOptions {
  /** The job bridge (events → jobs). Default true. */
  bridge?: boolean;
  /** The analysis worker (jobs → results). Default true. */
  analysis?: boolean;
  /** The maintenance schedulers and their worker. Default true. */
  schedulers?: boolean;
  /** Passed to the bridge's ProjectorRunner (tests shorten the back-off). */
  bridgeRunner?: RunnerOptions;
}

export interface WorkersHandle {
  stop(): Promise<void>;
}

export async function startWorkers(
  rt: Pick<Runtime, 'config' | 'logger' | 'pool' | 'eventStore'> & Partial<Pick<Runtime, 'metrics'>>,
  opts: StartWorkersOptions = {},
): Promise<WorkersHandle> {
  const { config, logger } = rt;
  const w = config.workers;
  const prefix = bullPrefix(config);
  const blobs = new BlobStore(rt.pool);
  const images = new ImageService(rt.eventStore, blobs);
  const metrics = rt.metrics;
  if (metrics) watchQueues(metrics, { connection: producerConnection(config.redisUrl), prefix }); // the worker role exports the queue counts

  // One analyzer thread per concurrent job: inference never blocks this process's event loop.
  const analyzer = opts.analysis !== false ? await AnalyzerPool.create({ size: w.concurrency, threads: w.inferenceThreads || undefined }) : undefined;

  let bridgeQueue: ReturnType<typeof createAnalysisQueue> | undefined;
  let bridge: ProjectorRunner | undefined;
  let projection: JobBridge | undefined;
  if (opts.bridge !== false) {
    bridgeQueue = createAnalysisQueue(config.redisUrl, prefix, logger);
    projection = createJobBridge({ store: rt.eventStore, queue: bridgeQueue, attempts: w.attempts, backoffMs: w.backoffMs, logger });
    bridge = new ProjectorRunner(config.databaseUrl, rt.eventStore, projection, logger, opts.bridgeRunner).start();
  }

  let schedulers: SchedulersHandle | undefined;
  if (opts.schedulers !== false) {
    schedulers = startSchedulers({
      redisUrl: config.redisUrl,
      prefix,
      everyMs: w.schedulerEveryMs,
      pool: rt.pool,
      images,
      blobs,
      detector: w.detector,
      stuckPendingMinutes: w.stuckPendingMinutes,
      blobGraceSeconds: w.blobGraceSeconds,
      logger,
    });
  }

  let analysis: AnalysisWorkerHandle | undefined;
  if (analyzer) {
    analysis = startAnalysisWorker({
      redisUrl: config.redisUrl,
      prefix,
      analyzer,
      blobs,
      images,
      store: rt.eventStore,
      detector: w.detector,
      concurrency: w.concurrency,
      lockDurationMs: w.jobLockMs,
      logger,
      ...(metrics ? { onInference: (model, seconds) => metrics.inferenceDuration.observe({ model: model.name, version: model.version }, seconds) } : {}),
    });
  }
  logger.info({ bridge: !!bridge, analysis: !!analysis, schedulers: !!schedulers, detector: w.detector, concurrency: w.concurrency }, 'workers started');

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        const step = async (what: string, fn: () => Promise<unknown>) => {
          logger.debug(`stopping the workers: ${what}`);
          await fn().catch((err: unknown) => logger.error({ err }, `stopping the workers: ${what} failed`));
        };
        projection?.cancel(); // an enqueue waiting for Redis must not hold up the shutdown
        if (bridge) await step('job bridge', () => bridge.stop());
        if (schedulers) await step('schedulers', () => schedulers.close());
        if (analysis) await step('analysis worker', () => analysis.close()); // finishes the jobs in hand
        if (analyzer) await step('face analyzer', () => analyzer.close());
        if (bridgeQueue) await step('analysis queue', () => bridgeQueue.close());
        logger.info('workers stopped');
      })();
      return stopping;
    },
  };
}
