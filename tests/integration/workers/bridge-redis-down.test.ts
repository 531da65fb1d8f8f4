// Redis goes away while the job bridge has a batch to enqueue: the batch fails, the runner rolls
// back and retries, the checkpoint stays put; when Redis is back the job is enqueued and analysed
// exactly once. Only the bridge's connection goes through a TCP proxy we can stop; the real Redis
// (shared with other test files running in parallel) stays up.

import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/blobs/blob-store.js';
import { ImageService } from '../../../src/commands/images/image-service.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { CheckpointWaiter } from '../../../src/checkpoints/checkpoint-waiter.js';
import { isAtOrAfter, readCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { startAnalysisWorker, type AnalysisWorkerHandle } from '../../../src/workers/images/analysis-worker.js';
import { createAnalysisQueue, createJobBridge } from '../../../src/workers/images/job-bridge.js';
import { workerConnection } from '../../../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../../../src/workers/queues.js';
import type { AnalysisJobData } from '../../../src/domain/images/analysis-job.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { eventually } from '../../../support/eventually.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../../support/redis-test-prefix.js';
import { testLogger } from '../../support/silent-logger.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { until } from '../../support/until.js';
import { analysisRequests } from '../../../src/projections/images/analysis-requests.js';

const redisPrefix = uniqueRedisPrefix('bridge-down');
const bull = `${redisPrefix}bull`;
const redisTarget = new URL(TEST_REDIS_URL);

let db: TestDatabase;
let store: PostgresEventStore;
let images: ImageService;
let analyzer: FaceAnalyzer;
let waiter: CheckpointWaiter;
let proxy: TcpProxy;
let bridgeQueue: Queue<AnalysisJobData>;
let inspect: Queue<AnalysisJobData>;
let runner: ProjectorRunner;
let worker: AnalysisWorkerHandle;
let bridgeFailures = 0;

// Counts the runner's "projection failed; restarting from its checkpoint" lines.
const runnerLogger = pino(
  { level: 'error' },
  {
    write(line: string) {
      if (line.includes('restarting from its checkpoint')) bridgeFailures++;
    },
  },
);

beforeAll(async () => {
  db = await createTestDatabase('workers_redis_down');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  const blobs = new BlobStore(db.pool);
  images = new ImageService(store, blobs);
  analyzer = await FaceAnalyzer.create({ threads: 1 });
  waiter = new CheckpointWaiter(db.pool, db.url);
  proxy = new TcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
  await proxy.start();
  bridgeQueue = createAnalysisQueue(proxy.url, bull, testLogger);
  inspect = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: workerConnection(TEST_REDIS_URL), prefix: bull });
  const bridge = createJobBridge({ store, queue: bridgeQueue, attempts: 3, backoffMs: 50, enqueueTimeoutMs: 2_000 });
  runner = new ProjectorRunner(db.url, store, bridge, runnerLogger, { idleCheckpointMs: 30, errorBackoffMs: 100 }).start();
  worker = startAnalysisWorker({
    redisUrl: TEST_REDIS_URL,
    prefix: bull,
    analyzer,
    blobs,
    images,
    store,
    detector: 'ssd',
    concurrency: 1,
    lockDurationMs: 10_000,
    logger: testLogger,
  });
});

afterAll(async () => {
  await runner?.stop();
  await worker?.close();
  await analyzer?.close();
  await bridgeQueue?.close();
  await inspect?.close();
  await proxy?.stop();
  await waiter?.close();
  await store?.close();
  await deleteRedisKeys(redisPrefix);
  await db?.drop();
});

async function analyzedCount(imageId: string): Promise<number> {
  return ofType(await imageEvents(store, imageId), 'ImageAnalyzed').length;
}

describe('job bridge while Redis is unreachable', () => {
  it('holds its checkpoint, retries, and enqueues the job exactly once when Redis is back', async () => {
    const sample = await readSample('sample1.jpg');

    // Warm-up: the bridge's connection works through the proxy.
    const first = await uploadSample(images, sample);
    await eventually(async () => (await analyzedCount(first.imageId)) === 1, 'first image analysed');
    expect(await waiter.waitFor([analysisRequests.name], first.position, 10_000)).toBe(true);

    await proxy.stop();
    const failuresBefore = bridgeFailures;
    const second = await uploadSample(images, sample);
    const requestId = (await imageEvents(store, second.imageId))[0]!.id;

    // At least two failed attempts at the batch, and the checkpoint never passed the upload.
    await until(() => bridgeFailures >= failuresBefore + 2, 'the bridge to fail twice', 15_000);
    expect(runner.lastError).toBeDefined();
    expect(isAtOrAfter(await readCheckpoint(db.pool, analysisRequests.name), second.position)).toBe(false);
    expect(await inspect.getJob(requestId)).toBeUndefined();
    expect(await analyzedCount(second.imageId)).toBe(0);

    await proxy.start();
    expect(await waiter.waitFor([analysisRequests.name], second.position, 15_000)).toBe(true);
    const job = await jobInState(inspect, requestId, 'completed');
    expect(job.attemptsMade).toBe(1);
    expect(await analyzedCount(second.imageId)).toBe(1);
    expect(await analyzedCount(first.imageId)).toBe(1);
    const counts = await inspect.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed');
    expect(counts).toEqual({ completed: 2, failed: 0, wait: 0, active: 0, delayed: 0 });
  });
});
