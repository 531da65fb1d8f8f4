// The shapes the worker role is assembled from (src/workers/index.ts lists them, start-workers.ts
// runs them): a queue with the worker that takes its jobs, and a job bridge that runs a reactor of
// the log (src/projections/index.ts) with its jobs going to a queue.

import type pg from 'pg';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ImageService } from '../commands/images/image-service.js';
import type { Config } from '../config.js';
import type { EventStore } from '../eventstore/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Projection } from '../projections/projection.js';
import type { Reactor } from '../projections/reactor.js';
import type { DetectorName } from '../inference/types.js';
import type { KeyStore } from '../privacy/key-store.js';
import type { AutoPeopleDeps } from '../commands/people/auto-people.js';

/** What the tasks may use; each is also a plain function that runs (and is tested) without Redis. */
export interface MaintenanceDeps {
  pool: pg.Pool;
  images: Pick<ImageService, 'requestAnalysis'>;
  blobs: Pick<BlobStore, 'collectOrphans'>;
  detector: DetectorName;
  stuckPendingMinutes: number;
  blobGraceSeconds: number;
}

export interface MaintenanceTask {
  /** The scheduler id and job name: stable. */
  name: string;
  /** One run; the result is the job's return value (counts). */
  run(deps: MaintenanceDeps, log: Logger): Promise<Record<string, number>>;
}

export interface WorkerRoleDeps {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  eventStore: EventStore;
  metrics?: Metrics | undefined;
  /** BullMQ key prefix (bullPrefix(config)). */
  prefix: string;
  blobs: BlobStore;
  images: ImageService;
  maintenanceTasks: readonly MaintenanceTask[];
  /** The key store (the erasure executor shreds keys); absent: no erasure executor runs here. */
  keys?: KeyStore | undefined;
  /** What the people reactor looks up (the face index, the people read model); absent: it does not run here. */
  recognition?: Pick<AutoPeopleDeps, 'neighbours' | 'lookups' | 'caughtUp'> | undefined;
}

export interface Stoppable {
  /** Stops taking work and finishes (or releases) the work in hand. */
  stop(): Promise<void>;
}

/** A queue and the worker that takes its jobs. */
export interface QueueWorker {
  queue: string;
  /** The switch of StartWorkersOptions that leaves this worker out (tests). */
  option: 'analysis' | 'schedulers';
  start(deps: WorkerRoleDeps): Promise<Stoppable>;
}

/** Runs a reactor of the log with its jobs going to a queue. */
export interface JobBridgeSpec {
  reactor: Pick<Reactor<unknown>, 'name'>;
  /** The consumer for the ProjectorRunner, and what it holds open. */
  start(deps: WorkerRoleDeps): { consumer: Projection; cancel(): void; close(): Promise<void> };
}
