// The images pipeline end to end, in process: upload → job bridge → BullMQ → analysis worker →
// ImageAnalyzed; a re-analysis request; a corrupt image (fails fast, once); and a replay of the
// bridge from the start, which enqueues nothing already answered.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageAnalysisFailed, ImageAnalyzed } from '../../../src/domain/images/image-events.js';
import type { RecordedEvent } from '../../../src/eventstore/types.js';
import { pipelineRef } from '../../../src/inference/pipeline-ref.js';
import { latestWrittenPosition } from '../../../support/database.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample, userContext, type Sample } from '../../support/image-samples.js';
import { createPipelineFixture, type PipelineFixture } from '../../support/pipeline.js';
import { analysisRequests } from '../../../src/projections/images/analysis-requests.js';

let p: PipelineFixture;
const started = new Map<string, number>(); // job id → processor starts

beforeAll(async () => {
  p = await createPipelineFixture('workers_flow', {
    bridge: { enqueueTimeoutMs: 3_000 },
    worker: { concurrency: 2, onJobStart: (job) => void started.set(job.id!, (started.get(job.id!) ?? 0) + 1) },
  });
});

afterAll(async () => {
  await p?.stop();
});

const finishedJob = (jobId: string, state: 'completed' | 'failed') => jobInState(p.jobs, jobId, state);

async function totalJobs(): Promise<number> {
  const counts = await p.jobs.getJobCounts('active', 'wait', 'delayed', 'completed', 'failed', 'prioritized', 'paused', 'waiting-children');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const analyzedOf = (events: RecordedEvent[]) => ofType(events, 'ImageAnalyzed') as (RecordedEvent & { data: ImageAnalyzed['data'] })[];

describe('analysis pipeline', () => {
  const uploads: { sample: Sample; imageId: string; ownerId: string; requestId: string; sha256: string }[] = [];

  it('uploads are enqueued by the bridge and analysed once each, with the request as causation', async () => {
    for (const name of ['sample1.jpg', 'sample2.jpg']) {
      const sample = await readSample(name);
      const ownerId = randomUUID();
      const { imageId } = await uploadSample(p, sample, ownerId);
      const [uploaded] = await imageEvents(p.store, imageId);
      uploads.push({ sample, imageId, ownerId, requestId: uploaded!.id, sha256: (uploaded!.data as { sha256: string }).sha256 });
    }
    for (const { sample, imageId, requestId, sha256 } of uploads) {
      const job = await finishedJob(requestId, 'completed');
      const events = await imageEvents(p.store, imageId);
      const uploaded = events[0]!;
      expect(job.data).toEqual({ imageId, requestId, sha256, correlationId: uploaded.metadata.correlationId });
      expect(job.opts.attempts).toBe(3);

      const analyzed = analyzedOf(events);
      expect(analyzed).toHaveLength(1);
      const result = analyzed[0]!;
      const expected = await (await p.analyzer()).analyze(sample.data, { detector: 'ssd' });
      if (sample.name === 'sample1.jpg') expect(expected.faces).toHaveLength(3);
      expect(result.data.faces).toHaveLength(expected.faces.length);
      expect(result.data.requestId).toBe(requestId);
      expect(result.data.model).toEqual(expected.model);
      expect(result.data.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(result.metadata.causationId).toBe(requestId);
      expect(result.metadata.correlationId).toBe(uploaded.metadata.correlationId);
      expect(result.metadata.actor).toEqual({ id: `worker:${hostname()}:${process.pid}`, kind: 'worker' });
      expect(started.get(requestId)).toBe(1);
    }
  });

  it('a re-analysis request gets its own job (sha256 from the stream) and its own result', async () => {
    const { imageId, ownerId, sha256 } = uploads[0]!;
    await p.images.requestAnalysis(imageId, pipelineRef('ssd'), 'user_request', userContext(ownerId));
    const request = ofType(await imageEvents(p.store, imageId), 'ImageAnalysisRequested')[0]!;
    const job = await finishedJob(request.id, 'completed');
    expect(job.data).toMatchObject({ imageId, requestId: request.id, sha256 });
    const analyzed = analyzedOf(await imageEvents(p.store, imageId));
    expect(analyzed.map((e) => e.data.requestId)).toEqual([uploads[0]!.requestId, request.id]);
    expect(analyzed[1]!.metadata.causationId).toBe(request.id);
  });

  it('a corrupt image fails fast: one ImageAnalysisFailed{corrupt_image, attempts 1}, no retry', async () => {
    const sample = await readSample('sample3.jpg');
    const truncated = sample.data.subarray(0, Math.floor(sample.data.length / 2));
    const { imageId } = await uploadSample(p, sample, undefined, Buffer.from(truncated));
    const requestId = (await imageEvents(p.store, imageId))[0]!.id;
    const job = await finishedJob(requestId, 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(started.get(requestId)).toBe(1);
    const events = await imageEvents(p.store, imageId);
    expect(analyzedOf(events)).toHaveLength(0);
    const failed = ofType(events, 'ImageAnalysisFailed') as (RecordedEvent & { data: ImageAnalysisFailed['data'] })[];
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ requestId, error: { code: 'corrupt_image' }, attempts: 1, model: pipelineRef('ssd') });
    expect(failed[0]!.metadata.causationId).toBe(requestId);
  });

  it('replaying the bridge from the start enqueues nothing that was already answered', async () => {
    const head = await latestWrittenPosition(p.db.pool);
    expect(await p.checkpoints.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    await p.bridge.stop();
    const before = await totalJobs();
    const eventsBefore = await Promise.all(uploads.map((u) => imageEvents(p.store, u.imageId)));

    // 1. Jobs still in Redis: the checkpoint is gone, the job ids are not.
    await p.db.pool.query('delete from rm.checkpoints where consumer = $1', [analysisRequests.name]);
    p.startBridge();
    expect(await p.checkpoints.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    expect(await totalJobs()).toBe(before);

    // 2. Jobs removed from Redis too: only the stream can tell what is answered.
    await p.bridge.stop();
    await p.jobs.clean(0, 10_000, 'completed');
    await p.jobs.clean(0, 10_000, 'failed');
    expect(await totalJobs()).toBe(0);
    await p.db.pool.query('delete from rm.checkpoints where consumer = $1', [analysisRequests.name]);
    p.startBridge();
    expect(await p.checkpoints.waitFor([analysisRequests.name], head, 10_000)).toBe(true);
    expect(await totalJobs()).toBe(0);

    const eventsAfter = await Promise.all(uploads.map((u) => imageEvents(p.store, u.imageId)));
    expect(eventsAfter.map((e) => e.length)).toEqual(eventsBefore.map((e) => e.length));
  });
});
