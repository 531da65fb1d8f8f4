// A worker process dies (SIGKILL) in the middle of a job: its lock expires, another worker finds
// the stalled job, runs it again, and the image ends with exactly one ImageAnalyzed.

import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/blobs/blob-store.js';
import { ImageService } from '../../../src/commands/images/image-service.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { startAnalysisWorker, type AnalysisWorkerHandle } from '../../../src/workers/images/analysis-worker.js';
import { createAnalysisQueue, createJobBridge } from '../../../src/workers/images/job-bridge.js';
import { workerConnection } from '../../../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../../../src/workers/queues.js';
import type { AnalysisJobData } from '../../../src/domain/images/analysis-job.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { startProcess } from '../../../support/process.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../../support/redis-test-prefix.js';
import { testLogger } from '../../support/silent-logger.js';
import { until } from '../../support/until.js';

const redisPrefix = uniqueRedisPrefix('crash');
const bull = `${redisPrefix}bull`;
const LOCK_MS = 2_000;
const STALLED_INTERVAL_MS = 500;

let db: TestDatabase;
let store: PostgresEventStore;
let blobs: BlobStore;
let images: ImageService;
let analyzer: FaceAnalyzer;
let bridgeQueue: Queue<AnalysisJobData>;
let inspect: Queue<AnalysisJobData>;
let runner: ProjectorRunner;
let worker: AnalysisWorkerHandle | undefined;
let child: ReturnType<typeof startProcess> | undefined;

beforeAll(async () => {
  db = await createTestDatabase('workers_crash');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  blobs = new BlobStore(db.pool);
  images = new ImageService(store, blobs);
  analyzer = await FaceAnalyzer.create({ threads: 1 });
  bridgeQueue = createAnalysisQueue(TEST_REDIS_URL, bull, testLogger);
  inspect = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: workerConnection(TEST_REDIS_URL), prefix: bull });
  runner = new ProjectorRunner(db.url, store, createJobBridge({ store, queue: bridgeQueue, attempts: 3, backoffMs: 50 }), testLogger, {
    idleCheckpointMs: 30,
    errorBackoffMs: 100,
  }).start();
});

afterAll(async () => {
  if (child && child.child.exitCode === null) child.child.kill('SIGKILL');
  await runner?.stop();
  await worker?.close();
  await analyzer?.close();
  await bridgeQueue?.close();
  await inspect?.close();
  await store?.close();
  await deleteRedisKeys(redisPrefix);
  await db?.drop();
});

describe('analysis worker killed mid-job', () => {
  it('the stalled job is picked up by another worker and the image is analysed exactly once', async () => {
    child = startProcess(
      {
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        BULL_PREFIX: bull,
        JOB_LOCK_MS: String(LOCK_MS),
        STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
        HOLD_JOBS: '1',
        LOG_LEVEL: 'warn',
      },
      ['--import', 'tsx', 'tests/support/analysis-worker-child.ts'],
    );
    const proc = child;
    let exitCode: number | null | undefined;
    void proc.exited.then((code) => (exitCode = code));
    await until(() => proc.output().includes('WORKER_READY') || exitCode !== undefined, 'the child worker to start', 30_000);
    expect(exitCode, proc.output()).toBeUndefined();

    const { imageId } = await uploadSample(images, await readSample('sample2.jpg'));
    const requestId = (await imageEvents(store, imageId))[0]!.id;
    await until(() => proc.output().includes(`JOB_ACTIVE ${requestId}`), 'the child to start the job', 15_000);
    expect(await inspect.getActiveCount()).toBe(1);

    proc.child.kill('SIGKILL');
    expect(await proc.exited).toBeNull();
    expect(ofType(await imageEvents(store, imageId), 'ImageAnalyzed')).toHaveLength(0);

    const startedHere: string[] = [];
    worker = startAnalysisWorker({
      redisUrl: TEST_REDIS_URL,
      prefix: bull,
      analyzer,
      blobs,
      images,
      store,
      detector: 'ssd',
      concurrency: 1,
      lockDurationMs: LOCK_MS,
      stalledIntervalMs: STALLED_INTERVAL_MS,
      logger: testLogger,
      onJobStart: (job) => void startedHere.push(job.id!),
    });
    const stalled: string[] = [];
    worker.worker.on('stalled', (jobId) => stalled.push(jobId));

    const job = await jobInState(inspect, requestId, 'completed', 20_000);
    expect(stalled).toEqual([requestId]);
    expect(startedHere).toEqual([requestId]);
    expect(job.attemptsMade).toBe(1); // a stall is not a failed attempt
    const analyzed = ofType(await imageEvents(store, imageId), 'ImageAnalyzed');
    expect(analyzed).toHaveLength(1);
    expect((analyzed[0]!.data as { requestId: string }).requestId).toBe(requestId);
    expect(analyzed[0]!.metadata.actor).toMatchObject({ id: `worker:${hostname()}:${process.pid}`, kind: 'worker' });
  });
});
