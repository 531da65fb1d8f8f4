// Every queue, job bridge and scheduled task of the worker role, in one place: start-up
// (start-workers.ts), the queue gauges of /metrics and the queue board iterate these lists.

import { analysisQueueWorker } from './images/analysis-worker.js';
import { collectBlobsTask } from './images/collect-blobs.js';
import { analysisJobBridge } from './images/job-bridge.js';
import { reanalyzeStaleTask } from './images/reanalyze-stale.js';
import { purgeSessionsTask } from './identity/purge-sessions.js';
import { maintenanceQueueWorker } from './maintenance.js';
import { erasureExecutorBridge } from './privacy/erasure-executor.js';
import { autoPeopleBridge } from './people/auto-people.js';
import type { JobBridgeSpec, MaintenanceTask, QueueWorker } from './worker-role.js';

/** Every queue with the worker that takes its jobs, in start order (stopped in reverse). */
export const queueWorkers: readonly QueueWorker[] = [analysisQueueWorker, maintenanceQueueWorker];

/** The queue names (BullMQ keys `<bullPrefix>:<name>:…`). */
export const queueNames: readonly string[] = queueWorkers.map((q) => q.queue);

/** Where each reactor of src/projections/index.ts sends its jobs. */
export const jobBridges: readonly JobBridgeSpec[] = [analysisJobBridge, erasureExecutorBridge, autoPeopleBridge];

/** The maintenance tasks, each with a BullMQ job scheduler on the maintenance queue. */
export const maintenanceTasks: readonly MaintenanceTask[] = [reanalyzeStaleTask, purgeSessionsTask, collectBlobsTask];
