// Redis goes away while the job bridge has a batch to enqueue: the batch fails, the runner rolls
// back and retries, the checkpoint stays put; when Redis is back the job is enqueued and analysed
// exactly once. Only the bridge's connection goes through a TCP proxy we can stop; the real Redis
// (shared with other test files running in parallel) stays up.

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAtOrAfter, readCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import { eventually } from '../../../support/eventually.js';
import { TEST_REDIS_URL } from '../../../support/redis-test-prefix.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { createPipelineFixture, type PipelineFixture } from '../../support/pipeline.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { until } from '../../support/until.js';
import { analysisRequests } from '../../../src/projections/images/analysis-requests.js';

const redisTarget = new URL(TEST_REDIS_URL);

let proxy: TcpProxy;
let p: PipelineFixture;
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
  proxy = new TcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
  await proxy.start();
  p = await createPipelineFixture('workers_redis_down', { bridge: { redisUrl: proxy.url, enqueueTimeoutMs: 2_000, logger: runnerLogger } });
});

afterAll(async () => {
  await p?.stop();
  await proxy?.stop();
});

async function analyzedCount(imageId: string): Promise<number> {
  return ofType(await imageEvents(p.store, imageId), 'ImageAnalyzed').length;
}

describe('job bridge while Redis is unreachable', () => {
  it('holds its checkpoint, retries, and enqueues the job exactly once when Redis is back', async () => {
    const sample = await readSample('sample1.jpg');

    // Warm-up: the bridge's connection works through the proxy.
    const first = await uploadSample(p, sample);
    await eventually(async () => (await analyzedCount(first.imageId)) === 1, 'first image analysed');
    expect(await p.checkpoints.waitFor([analysisRequests.name], first.position, 10_000)).toBe(true);

    await proxy.stop();
    const failuresBefore = bridgeFailures;
    const second = await uploadSample(p, sample);
    const requestId = (await imageEvents(p.store, second.imageId))[0]!.id;

    // At least two failed attempts at the batch, and the checkpoint never passed the upload.
    await until(() => bridgeFailures >= failuresBefore + 2, 'the bridge to fail twice', 15_000);
    expect(p.bridge.lastError).toBeDefined();
    expect(isAtOrAfter(await readCheckpoint(p.db.pool, analysisRequests.name), second.position)).toBe(false);
    expect(await p.jobs.getJob(requestId)).toBeUndefined();
    expect(await analyzedCount(second.imageId)).toBe(0);

    await proxy.start();
    expect(await p.checkpoints.waitFor([analysisRequests.name], second.position, 15_000)).toBe(true);
    const job = await jobInState(p.jobs, requestId, 'completed');
    expect(job.attemptsMade).toBe(1);
    expect(await analyzedCount(second.imageId)).toBe(1);
    expect(await analyzedCount(first.imageId)).toBe(1);
    const counts = await p.jobs.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed');
    expect(counts).toEqual({ completed: 2, failed: 0, wait: 0, active: 0, delayed: 0 });
  });
});
