// Waits for a BullMQ job to reach a final state and returns it as it is then.

import type { Job, Queue } from 'bullmq';
import { eventually } from '../../support/eventually.js';

export function jobInState<T>(queue: Queue<T>, jobId: string, state: 'completed' | 'failed', timeoutMs = 15_000): Promise<Job<T>> {
  return eventually(async () => {
    // State first, then the job: a job read before its last attempt ended would be stale.
    if ((await queue.getJobState(jobId)) !== state) return undefined;
    return queue.getJob(jobId);
  }, `job ${jobId} to be ${state}`, timeoutMs);
}
