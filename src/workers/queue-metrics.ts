// facetrail_queue_jobs{queue,state}: BullMQ job counts (waiting, active, delayed, failed,
// prioritized, paused) of every queue, read with getJobCounts at scrape time. The Queue handles
// open their connection (a fail-fast producer connection) on the first scrape and close with the metrics.

import { Queue, type ConnectionOptions } from 'bullmq';
import type { Metrics, Sample } from '../metrics/metrics.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'paused'] as const;

export function watchQueues(metrics: Metrics, deps: { connection: ConnectionOptions; prefix: string; queues: readonly string[] }): void {
  let queues: Queue[] | undefined;
  const open = () =>
    (queues ??= deps.queues.map((name) => {
      const queue = new Queue(name, { connection: deps.connection, prefix: deps.prefix });
      queue.on('error', () => undefined); // a scrape reports it (collect errors); the runtime logs Redis errors
      return queue;
    }));
  metrics.onClose(async () => {
    await Promise.allSettled((queues ?? []).map((q) => q.close()));
  });
  metrics.gauge('facetrail_queue_jobs', 'BullMQ jobs per queue and state', ['queue', 'state'], async () => {
    const out: Sample<'queue' | 'state'>[] = [];
    for (const queue of open()) {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) out.push({ labels: { queue: queue.name, state }, value: counts[state] ?? 0 });
    }
    return out;
  });
}
