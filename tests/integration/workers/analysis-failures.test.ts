// Failure paths of the analysis worker with a stand-in pipeline: a transient error is retried with
// backoff and the last attempt is recorded once as ImageAnalysisFailed; a missing blob fails at
// once (blob_missing, no retry).

import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore, sha256Hex } from '../../../src/blobs/blob-store.js';
import { ImageService } from '../../../src/commands/images/image-service.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { startAnalysisWorker, type AnalysisWorkerHandle } from '../../../src/workers/images/analysis-worker.js';
import { createAnalysisQueue, createJobBridge } from '../../../src/workers/images/job-bridge.js';
import { pipelineRef } from '../../../src/inference/pipeline-ref.js';
import { workerConnection } from '../../../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../../../src/workers/queues.js';
import type { AnalysisJobData } from '../../../src/domain/images/analysis-job.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../../support/redis-test-prefix.js';
import { testLogger } from '../../support/silent-logger.js';

const redisPrefix = uniqueRedisPrefix('failures');
const bull = `${redisPrefix}bull`;
const ATTEMPTS = 3;

let db: TestDatabase;
let store: PostgresEventStore;
let blobs: BlobStore;
let images: ImageService;
let bridgeQueue: Queue<AnalysisJobData>;
let inspect: Queue<AnalysisJobData>;
let runner: ProjectorRunner;
let worker: AnalysisWorkerHandle;
const calls = new Map<string, number>(); // job id → processor starts
const hiddenBlobs = new Set<string>();

// Always fails with an ordinary (retryable) error.
const flakyAnalyzer: Pick<FaceAnalyzer, 'analyze'> = {
  analyze: () => Promise.reject(new Error('onnxruntime: out of memory')),
};

beforeAll(async () => {
  db = await createTestDatabase('workers_failures');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  blobs = new BlobStore(db.pool);
  images = new ImageService(store, blobs);
  bridgeQueue = createAnalysisQueue(TEST_REDIS_URL, bull, testLogger);
  inspect = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: workerConnection(TEST_REDIS_URL), prefix: bull });
  runner = new ProjectorRunner(db.url, store, createJobBridge({ store, queue: bridgeQueue, attempts: ATTEMPTS, backoffMs: 20 }), testLogger, {
    idleCheckpointMs: 30,
  }).start();
  worker = startAnalysisWorker({
    redisUrl: TEST_REDIS_URL,
    prefix: bull,
    analyzer: flakyAnalyzer,
    blobs: { get: (sha256) => (hiddenBlobs.has(sha256) ? Promise.resolve(undefined) : blobs.get(sha256)) },
    images,
    store,
    detector: 'ssd',
    concurrency: 2,
    lockDurationMs: 10_000,
    logger: testLogger,
    onJobStart: (job) => void calls.set(job.id!, (calls.get(job.id!) ?? 0) + 1),
  });
});

afterAll(async () => {
  await runner?.stop();
  await worker?.close();
  await bridgeQueue?.close();
  await inspect?.close();
  await store?.close();
  await deleteRedisKeys(redisPrefix);
  await db?.drop();
});

const failedJob = (jobId: string) => jobInState(inspect, jobId, 'failed');

describe('analysis failures', () => {
  it('a transient error is retried; the last attempt records one ImageAnalysisFailed with the attempts', async () => {
    const { imageId } = await uploadSample(images, await readSample('sample6.jpg'));
    const requestId = (await imageEvents(store, imageId))[0]!.id;
    const job = await failedJob(requestId);
    expect(job.attemptsMade).toBe(ATTEMPTS);
    expect(calls.get(requestId)).toBe(ATTEMPTS);
    const failed = ofType(await imageEvents(store, imageId), 'ImageAnalysisFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toEqual({
      requestId,
      model: pipelineRef('ssd'),
      error: { code: 'analysis_failed', message: 'onnxruntime: out of memory' },
      attempts: ATTEMPTS,
    });
    expect(failed[0]!.metadata).toMatchObject({ causationId: requestId, actor: { kind: 'worker' } });
  });

  it('a missing blob fails at once with blob_missing', async () => {
    const sample = await readSample('sample1.jpg');
    const data = Buffer.concat([sample.data, Buffer.from('different bytes, different blob')]);
    hiddenBlobs.add(sha256Hex(data)); // stored, but the worker will not find it
    const { imageId } = await uploadSample(images, sample, undefined, data);
    const uploaded = (await imageEvents(store, imageId))[0]!;
    const job = await failedJob(uploaded.id);
    expect(job.attemptsMade).toBe(1);
    expect(calls.get(uploaded.id)).toBe(1);
    const failed = ofType(await imageEvents(store, imageId), 'ImageAnalysisFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ requestId: uploaded.id, error: { code: 'blob_missing' }, attempts: 1 });
  });
});
