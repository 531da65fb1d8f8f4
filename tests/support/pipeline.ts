// The images pipeline for the worker tests, built from the exported pieces of src/workers/images
// the way the worker role builds them: the job bridge (the analysis-requests reactor under a
// ProjectorRunner, its jobs into the analysis queue) and the analysis worker (an AnalyzerPool of
// one single-threaded analyzer), with test defaults that keep the tests quick, a queue handle to
// look at the jobs, and one stop(). createPipelineFixture adds a fresh database and Redis prefix.

import { Queue } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { CheckpointWaiter } from '../../src/checkpoints/checkpoint-waiter.js';
import { ImageService } from '../../src/commands/images/image-service.js';
import { bullPrefix } from '../../src/config.js';
import { workerConnection } from '../../src/db/bullmq-connections.js';
import type { AnalysisJobData } from '../../src/domain/images/analysis-job.js';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.js';
import type { FaceAnalyzer } from '../../src/inference/analyzer.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { startAnalysisWorker, type AnalysisWorkerDeps, type AnalysisWorkerHandle } from '../../src/workers/images/analysis-worker.js';
import { AnalyzerPool } from '../../src/workers/images/analyzer-pool.js';
import { createAnalysisQueue, createJobBridge, type JobBridge } from '../../src/workers/images/job-bridge.js';
import { ANALYSIS_QUEUE } from '../../src/workers/queues.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../support/redis-test-prefix.js';
import { testLogger } from './silent-logger.js';

/** The image write side over one database: what the pipeline reads and reports to. */
export interface ImagesGround {
  databaseUrl: string;
  store: PostgresEventStore;
  blobs: BlobStore;
  images: ImageService;
}

/** The event store, blob store and image commands over `pool`. */
export function imagesGround(pool: pg.Pool, databaseUrl: string): ImagesGround {
  const store = new PostgresEventStore(pool, { url: databaseUrl, pollIntervalMs: 100 });
  const blobs = new BlobStore(pool);
  return { databaseUrl, store, blobs, images: new ImageService(store, blobs) };
}

export interface BridgeOptions {
  /** The bridge's Redis (default: the workers'; a TcpProxy's url to cut it alone). */
  redisUrl?: string;
  /** Attempts per job (default 3) and the first retry delay (default 50 ms). */
  attempts?: number;
  backoffMs?: number;
  enqueueTimeoutMs?: number;
  /** The runner's logger (default: silent). */
  logger?: Logger;
}

export type WorkerOptions = Partial<Pick<AnalysisWorkerDeps, 'concurrency' | 'lockDurationMs' | 'stalledIntervalMs' | 'blobs' | 'onJobStart'>>;

export interface PipelineOptions {
  /** Default: the test Redis. */
  redisUrl?: string;
  /** The BullMQ key prefix (bullPrefix of the deployment's REDIS_KEY_PREFIX). */
  bull: string;
  /** Default: an AnalyzerPool of one single-threaded analyzer (made on the first startWorker, closed by stop). */
  analyzer?: Pick<FaceAnalyzer, 'analyze'>;
  /** The job bridge, started at once (default), or false: not until startBridge(). */
  bridge?: BridgeOptions | false;
  /** The analysis worker, started at once (default: concurrency 1, 10 s lock), or false: not until startWorker(). */
  worker?: WorkerOptions | false;
  /** The worker's logger (default: silent). */
  logger?: Logger;
}

export interface AnalysisPipeline {
  bull: string;
  /** A handle on the analysis queue to look at the jobs. */
  jobs: Queue<AnalysisJobData>;
  /** The running job bridge (the last one started). */
  readonly bridge: ProjectorRunner;
  /** Starts a job bridge (stop the previous one first) on the bridge's queue; options as given at the start. */
  startBridge(): ProjectorRunner;
  /** The running analysis worker (the last one started). */
  readonly worker: AnalysisWorkerHandle;
  startWorker(opts?: WorkerOptions): Promise<AnalysisWorkerHandle>;
  /** The analyzer the workers use (the default pool exists once a worker started). */
  analyzer(): Promise<Pick<FaceAnalyzer, 'analyze'>>;
  /** Stops the bridge and the worker (the jobs in hand finish), closes the analyzer it made and the queues. */
  stop(): Promise<void>;
}

export async function startAnalysisPipeline(ground: ImagesGround, opts: PipelineOptions): Promise<AnalysisPipeline> {
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const bridgeOpts = opts.bridge === false ? {} : (opts.bridge ?? {});
  const jobs = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: workerConnection(redisUrl), prefix: opts.bull });
  let bridgeQueue: Queue<AnalysisJobData> | undefined;
  let bridge: { runner: ProjectorRunner; consumer: JobBridge } | undefined;
  let worker: AnalysisWorkerHandle | undefined;
  let pool: Promise<AnalyzerPool> | undefined;
  const analyzer = () => (opts.analyzer ? Promise.resolve(opts.analyzer) : (pool ??= AnalyzerPool.create({ size: 1, threads: 1 })));

  const pipeline: AnalysisPipeline = {
    bull: opts.bull,
    jobs,
    get bridge() {
      if (!bridge) throw new Error('the job bridge was not started');
      return bridge.runner;
    },
    startBridge() {
      bridgeQueue ??= createAnalysisQueue(bridgeOpts.redisUrl ?? redisUrl, opts.bull, testLogger);
      const consumer = createJobBridge({
        store: ground.store,
        queue: bridgeQueue,
        attempts: bridgeOpts.attempts ?? 3,
        backoffMs: bridgeOpts.backoffMs ?? 50,
        ...(bridgeOpts.enqueueTimeoutMs !== undefined ? { enqueueTimeoutMs: bridgeOpts.enqueueTimeoutMs } : {}),
      });
      const runner = new ProjectorRunner(ground.databaseUrl, ground.store, consumer, bridgeOpts.logger ?? testLogger, { idleCheckpointMs: 30, errorBackoffMs: 100 }).start();
      bridge = { runner, consumer };
      return runner;
    },
    get worker() {
      if (!worker) throw new Error('the analysis worker was not started');
      return worker;
    },
    async startWorker(w = {}) {
      worker = startAnalysisWorker({
        redisUrl,
        prefix: opts.bull,
        analyzer: await analyzer(),
        blobs: w.blobs ?? ground.blobs,
        images: ground.images,
        store: ground.store,
        detector: 'ssd',
        concurrency: w.concurrency ?? 1,
        lockDurationMs: w.lockDurationMs ?? 10_000,
        ...(w.stalledIntervalMs !== undefined ? { stalledIntervalMs: w.stalledIntervalMs } : {}),
        ...(w.onJobStart ? { onJobStart: w.onJobStart } : {}),
        logger: opts.logger ?? testLogger,
      });
      return worker;
    },
    analyzer,
    async stop() {
      bridge?.consumer.cancel(); // an enqueue waiting for a Redis that is gone must not hold this up
      await bridge?.runner.stop();
      await worker?.close();
      if (pool) await (await pool).close();
      await bridgeQueue?.close();
      await jobs.close();
    },
  };
  if (opts.bridge !== false) pipeline.startBridge();
  if (opts.worker !== false) await pipeline.startWorker(opts.worker);
  return pipeline;
}

/** A fresh database and Redis prefix with the image write side over them. */
export interface ImagesFixture extends ImagesGround {
  db: TestDatabase;
  redisPrefix: string;
  /** The BullMQ key prefix under it (bullPrefix, as a deployment with that REDIS_KEY_PREFIX has it). */
  bull: string;
  /** Waits for consumers' checkpoints (made on first use). */
  readonly checkpoints: CheckpointWaiter;
  /** Closes the store, deletes the Redis keys under the prefix and drops the database. */
  stop(): Promise<void>;
}

export async function createImagesFixture(label: string): Promise<ImagesFixture> {
  const db = await createTestDatabase(label);
  const ground = imagesGround(db.pool, db.url);
  const redisPrefix = uniqueRedisPrefix(label);
  let checkpoints: CheckpointWaiter | undefined;
  return {
    ...ground,
    db,
    redisPrefix,
    bull: bullPrefix({ redisKeyPrefix: redisPrefix }),
    get checkpoints() {
      return (checkpoints ??= new CheckpointWaiter(db.pool, db.url));
    },
    async stop() {
      await checkpoints?.close();
      await ground.store.close();
      await deleteRedisKeys(redisPrefix);
      await db.drop();
    },
  };
}

export type PipelineFixture = Omit<ImagesFixture, 'stop'> & AnalysisPipeline;

/** The pipeline over a fresh database and Redis prefix (createImagesFixture); one stop() for both. */
export async function createPipelineFixture(label: string, opts: Omit<PipelineOptions, 'bull' | 'redisUrl'> = {}): Promise<PipelineFixture> {
  const fixture = await createImagesFixture(label);
  let pipeline: AnalysisPipeline;
  try {
    pipeline = await startAnalysisPipeline(fixture, { ...opts, bull: fixture.bull });
  } catch (err) {
    await fixture.stop();
    throw err;
  }
  const { db, redisPrefix, databaseUrl, store, blobs, images } = fixture;
  return {
    db,
    redisPrefix,
    databaseUrl,
    store,
    blobs,
    images,
    get checkpoints() {
      return fixture.checkpoints;
    },
    bull: pipeline.bull,
    jobs: pipeline.jobs,
    get bridge() {
      return pipeline.bridge;
    },
    startBridge: () => pipeline.startBridge(),
    get worker() {
      return pipeline.worker;
    },
    startWorker: (w) => pipeline.startWorker(w),
    analyzer: () => pipeline.analyzer(),
    async stop() {
      await pipeline.stop();
      await fixture.stop();
    },
  };
}
