// The images pipeline end to end, in process: upload → job bridge → BullMQ → analysis worker →
// ImageAnalyzed; a re-analysis request; a corrupt image (fails fast, once); and a replay of the
// bridge from the start, which enqueues nothing already answered.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/blobs/blob-store.js';
import { ImageService } from '../../../src/commands/images/image-service.js';
import type { ImageAnalysisFailed, ImageAnalyzed } from '../../../src/domain/images/image-events.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { RecordedEvent } from '../../../src/eventstore/types.js';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { CheckpointWaiter } from '../../../src/checkpoints/checkpoint-waiter.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { startAnalysisWorker, type AnalysisWorkerHandle } from '../../../src/workers/images/analysis-worker.js';
import { createAnalysisQueue, createJobBridge } from '../../../src/workers/images/job-bridge.js';
import { pipelineRef } from '../../../src/inference/pipeline-ref.js';
import { workerConnection } from '../../../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../../../src/workers/queues.js';
import type { AnalysisJobData } from '../../../src/domain/images/analysis-job.js';
import { createTestDatabase, latestWrittenPosition, type TestDatabase } from '../../../support/database.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample, userContext, type Sample } from '../../support/image-samples.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../../support/redis-test-prefix.js';
import { testLogger } from '../../support/silent-logger.js';
import { analysisRequests } from '../../../src/projections/images/analysis-requests.js';

const redisPrefix = uniqueRedisPrefix('flow');
const bull = `${redisPrefix}bull`;

let db: TestDatabase;
let store: PostgresEventStore;
let images: ImageService;
let analyzer: FaceAnalyzer;
let waiter: CheckpointWaiter;
let bridgeQueue: Queue<AnalysisJobData>;
let inspect: Queue<AnalysisJobData>;
let runner: ProjectorRunner;
let worker: AnalysisWorkerHandle;
const started = new Map<string, number>(); // job id → processor starts

const startBridge = () =>
  new ProjectorRunner(db.url, store, createJobBridge({ store, queue: bridgeQueue, attempts: 3, backoffMs: 50, enqueueTimeoutMs: 3_000 }), testLogger, {
    idleCheckpointMs: 30,
    errorBackoffMs: 100,
  }).start();

beforeAll(async () => {
  db = await createTestDatabase('workers_flow');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  const blobs = new BlobStore(db.pool);
  images = new ImageService(store, blobs);
  analyzer = await FaceAnalyzer.create({ threads: 1 });
  waiter = new CheckpointWaiter(db.pool, db.url);
  bridgeQueue = createAnalysisQueue(TEST_REDIS_URL, bull, testLogger);
  inspect = new Queue<AnalysisJobData>(ANALYSIS_QUEUE, { connection: workerConnection(TEST_REDIS_URL), prefix: bull });
  runner = startBridge();
  worker = startAnalysisWorker({
    redisUrl: TEST_REDIS_URL,
    prefix: bull,
    analyzer,
    blobs,
    images,
    store,
    detector: 'ssd',
    concurrency: 2,
    lockDurationMs: 10_000,
    logger: testLogger,
    onJobStart: (job) => void started.set(job.id!, (started.get(job.id!) ?? 0) + 1),
  });
});

afterAll(async () => {
  await runner?.stop();
  await worker?.close();
  await analyzer?.close();
  await bridgeQueue?.close();
  await inspect?.close();
  await waiter?.close();
  await store?.close();
  await deleteRedisKeys(redisPrefix);
  await db?.drop();
});

const finishedJob = (jobId: string, state: 'completed' | 'failed') => jobInState(inspect, jobId, state);

async function totalJobs(): Promise<number> {
  const counts = await inspect.getJobCounts('active', 'wait', 'delayed', 'completed', 'failed', 'prioritized', 'paused', 'waiting-children');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const analyzedOf = (events: RecordedEvent[]) => ofType(events, 'ImageAnalyzed') as (RecordedEvent & { data: ImageAnalyzed['data'] })[];

describe('analysis pipeline', () => {
  const uploads: { sample: Sample; imageId: string; ownerId: string; requestId: string; sha256: string }[] = [];

  it('uploads are enqueued by the bridge and analysed once each, with the request as causation', async () => {
    for (const name of ['sample1.jpg', 'sample2.jpg']) {
      const sample = await readSample(name);
      const ownerId = randomUUID();
      const { imageId } = await uploadSample(images, sample, ownerId);
      const [uploaded] = await imageEvents(store, imageId);
      uploads.push({ sample, imageId, ownerId, requestId: uploaded!.id, sha256: (uploaded!.data as { sha256: string }).sha256 });
    }
    for (const { sample, imageId, requestId, sha256 } of uploads) {
      const job = await finishedJob(requestId, 'completed');
      const events = await imageEvents(store, imageId);
      const uploaded = events[0]!;
      expect(job.data).toEqual({ imageId, requestId, sha256, correlationId: uploaded.metadata.correlationId });
      expect(job.opts.attempts).toBe(3);

      const analyzed = analyzedOf(events);
      expect(analyzed).toHaveLength(1);
      const result = analyzed[0]!;
      const expected = await analyzer.analyze(sample.data, { detector: 'ssd' });
      if (sample.name === 'sample1.jpg') expect(expected.faces).toHaveLength(3);
      expect(result.data.faces).toHaveLength(expected.faces.length);
      expect(result.data.requestId).toBe(requestId);
      expect(result.data.model).toEqual(analyzer.model('ssd'));
      expect(result.data.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(result.metadata.causationId).toBe(requestId);
      expect(result.metadata.correlationId).toBe(uploaded.metadata.correlationId);
      expect(result.metadata.actor).toEqual({ id: `worker:${hostname()}:${process.pid}`, kind: 'worker' });
      expect(started.get(requestId)).toBe(1);
    }
  });

  it('a re-analysis request gets its own job (sha256 from the stream) and its own result', async () => {
    const { imageId, ownerId, sha256 } = uploads[0]!;
    await images.requestAnalysis(imageId, pipelineRef('ssd'), 'user_request', userContext(ownerId));
    const request = ofType(await imageEvents(store, imageId), 'ImageAnalysisRequested')[0]!;
    const job = await finishedJob(request.id, 'completed');
    expect(job.data).toMatchObject({ imageId, requestId: request.id, sha256 });
    const analyzed = analyzedOf(await imageEvents(store, imageId));
    expect(analyzed.map((e) => e.data.requestId)).toEqual([uploads[0]!.requestId, request.id]);
    expect(analyzed[1]!.metadata.causationId).toBe(request.id);
  });

  it('a corrupt image fails fast: one ImageAnalysisFailed{corrupt_image, attempts 1}, no retry', async () => {
    const sample = await readSample('sample3.jpg');
    const truncated = sample.data.subarray(0, Math.floor(sample.data.length / 2));
    const { imageId } = await uploadSample(images, sample, undefined, Buffer.from(truncated));
    const requestId = (await imageEvents(store, imageId))[0]!.id;
    const job = await finishedJob(requestId, 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(started.get(requestId)).toBe(1);
    const events = await imageEvents(store, imageId);
    expect(analyzedOf(events)).toHaveLength(0);
    const failed = ofType(events, 'ImageAnalysisFailed') as (RecordedEvent & { data: ImageAnalysisFailed['data'] })[];
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ requestId, error: { code: 'corrupt_image' }, attempts: 1, model: pipelineRef('ssd') });
    expect(failed[0]!.metadata.causationId).toBe(requestId);
  });

  it('replaying the bridge from the start enqueues nothing that was already answered', async () => {
    const head = await latestWrittenPosition(db.pool);
    expect(await waiter.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    await runner.stop();
    const before = await totalJobs();
    const eventsBefore = await Promise.all(uploads.map((u) => imageEvents(store, u.imageId)));

    // 1. Jobs still in Redis: the checkpoint is gone, the job ids are not.
    await db.pool.query('delete from rm.checkpoints where consumer = $1', [analysisRequests.name]);
    runner = startBridge();
    expect(await waiter.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    expect(await totalJobs()).toBe(before);

    // 2. Jobs removed from Redis too: only the stream can tell what is answered.
    await runner.stop();
    await inspect.clean(0, 10_000, 'completed');
    await inspect.clean(0, 10_000, 'failed');
    expect(await totalJobs()).toBe(0);
    await db.pool.query('delete from rm.checkpoints where consumer = $1', [analysisRequests.name]);
    runner = startBridge();
    expect(await waiter.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    expect(await totalJobs()).toBe(0);

    const eventsAfter = await Promise.all(uploads.map((u) => imageEvents(store, u.imageId)));
    expect(eventsAfter.map((e) => e.length)).toEqual(eventsBefore.map((e) => e.length));
  });
});
