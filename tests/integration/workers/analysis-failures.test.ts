// Failure paths of the analysis worker with a stand-in pipeline: a transient error is retried with
// backoff and the last attempt is recorded once as ImageAnalysisFailed; a missing blob fails at
// once (blob_missing, no retry).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/blobs/blob-store.js';
import type { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { pipelineRef } from '../../../src/inference/pipeline-ref.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { createPipelineFixture, type PipelineFixture } from '../../support/pipeline.js';

const ATTEMPTS = 3;

let p: PipelineFixture;
const calls = new Map<string, number>(); // job id → processor starts
const hiddenBlobs = new Set<string>();

// Always fails with an ordinary (retryable) error.
const flakyAnalyzer: Pick<FaceAnalyzer, 'analyze'> = {
  analyze: () => Promise.reject(new Error('onnxruntime: out of memory')),
};

beforeAll(async () => {
  p = await createPipelineFixture('workers_failures', {
    analyzer: flakyAnalyzer,
    bridge: { attempts: ATTEMPTS, backoffMs: 20 },
    worker: {
      concurrency: 2,
      blobs: { get: (sha256) => (hiddenBlobs.has(sha256) ? Promise.resolve(undefined) : p.blobs.get(sha256)) },
      onJobStart: (job) => void calls.set(job.id!, (calls.get(job.id!) ?? 0) + 1),
    },
  });
});

afterAll(async () => {
  await p?.stop();
});

const failedJob = (jobId: string) => jobInState(p.jobs, jobId, 'failed');

describe('analysis failures', () => {
  it('a transient error is retried; the last attempt records one ImageAnalysisFailed with the attempts', async () => {
    const { imageId } = await uploadSample(p, await readSample('sample6.jpg'));
    const requestId = (await imageEvents(p.store, imageId))[0]!.id;
    const job = await failedJob(requestId);
    expect(job.attemptsMade).toBe(ATTEMPTS);
    expect(calls.get(requestId)).toBe(ATTEMPTS);
    const failed = ofType(await imageEvents(p.store, imageId), 'ImageAnalysisFailed');
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
    const { imageId } = await uploadSample(p, sample, undefined, data);
    const uploaded = (await imageEvents(p.store, imageId))[0]!;
    const job = await failedJob(uploaded.id);
    expect(job.attemptsMade).toBe(1);
    expect(calls.get(uploaded.id)).toBe(1);
    const failed = ofType(await imageEvents(p.store, imageId), 'ImageAnalysisFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ requestId: uploaded.id, error: { code: 'blob_missing' }, attempts: 1 });
  });
});
