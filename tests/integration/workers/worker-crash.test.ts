// A worker process dies (SIGKILL) in the middle of a job: its lock expires, another worker finds
// the stalled job, runs it again, and the image ends with exactly one ImageAnalyzed.

import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '../../../support/process.js';
import { TEST_REDIS_URL } from '../../../support/redis-test-prefix.js';
import { jobInState } from '../../support/jobs.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { createPipelineFixture, type PipelineFixture } from '../../support/pipeline.js';
import { until } from '../../support/until.js';

const LOCK_MS = 2_000;
const STALLED_INTERVAL_MS = 500;

let p: PipelineFixture;
let child: ReturnType<typeof startProcess> | undefined;

beforeAll(async () => {
  // The bridge runs here from the start; this process's worker only after the child died.
  p = await createPipelineFixture('workers_crash', { worker: false });
});

afterAll(async () => {
  if (child && child.child.exitCode === null) child.child.kill('SIGKILL');
  await p?.stop();
});

describe('analysis worker killed mid-job', () => {
  it('the stalled job is picked up by another worker and the image is analysed exactly once', async () => {
    child = startProcess(
      {
        DATABASE_URL: p.db.url,
        REDIS_URL: TEST_REDIS_URL,
        BULL_PREFIX: p.bull,
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

    const { imageId } = await uploadSample(p, await readSample('sample2.jpg'));
    const requestId = (await imageEvents(p.store, imageId))[0]!.id;
    await until(() => proc.output().includes(`JOB_ACTIVE ${requestId}`), 'the child to start the job', 15_000);
    expect(await p.jobs.getActiveCount()).toBe(1);

    proc.child.kill('SIGKILL');
    expect(await proc.exited).toBeNull();
    expect(ofType(await imageEvents(p.store, imageId), 'ImageAnalyzed')).toHaveLength(0);

    const startedHere: string[] = [];
    const worker = await p.startWorker({ lockDurationMs: LOCK_MS, stalledIntervalMs: STALLED_INTERVAL_MS, onJobStart: (job) => void startedHere.push(job.id!) });
    const stalled: string[] = [];
    worker.worker.on('stalled', (jobId) => stalled.push(jobId));

    const job = await jobInState(p.jobs, requestId, 'completed', 20_000);
    expect(stalled).toEqual([requestId]);
    expect(startedHere).toEqual([requestId]);
    expect(job.attemptsMade).toBe(1); // a stall is not a failed attempt
    const analyzed = ofType(await imageEvents(p.store, imageId), 'ImageAnalyzed');
    expect(analyzed).toHaveLength(1);
    expect((analyzed[0]!.data as { requestId: string }).requestId).toBe(requestId);
    expect(analyzed[0]!.metadata.actor).toMatchObject({ id: `worker:${hostname()}:${process.pid}`, kind: 'worker' });
  });
});
