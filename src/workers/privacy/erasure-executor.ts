// The erasure executor: the erasure reactor (src/projections/privacy/erasure-requests.ts) run with
// a sink that executes each erasure it asks for (ErasureService.execute, idempotent and resumable),
// in this process, before the reactor's checkpoint moves. The one policy that executes erasures:
// the API only records requests and waits for the receipt. One instance is active at a time (the
// runner's advisory lock); a failure (the database, a crash) is retried from the checkpoint.

import type pg from 'pg';
import type { BlobStore } from '../../blobs/blob-store.js';
import { ErasureService, type ErasureServiceDeps } from '../../commands/privacy/erasure-service.js';
import type { EventStore } from '../../eventstore/types.js';
import type { KeyStore } from '../../privacy/key-store.js';
import { erasureRequests, type ErasureJobData } from '../../projections/privacy/erasure-requests.js';
import type { Projection } from '../../projections/projection.js';
import { reactorConsumer } from '../../projections/reactor.js';
import type { JobBridgeSpec } from '../worker-role.js';

/** The sessions of a user still standing, from rm.sessions (an erased account's are ended). */
export function sessionsOf(pool: pg.Pool): (userId: string) => Promise<string[]> {
  return async (userId) => (await pool.query<{ family_id: string }>(`select family_id::text from rm.sessions where user_id = $1 and status = 'active' order by started_at`, [userId])).rows.map((r) => r.family_id);
}

/** The executing service over a process's resources (receipts are signed by the API, not here). */
export function executingErasureService(deps: { store: EventStore; keys: Pick<KeyStore, 'shred' | 'imagesOf' | 'imagesWithKeysFor'>; pool: pg.Pool; blobs: Pick<BlobStore, 'deleteUnused'>; failAfter?: ErasureServiceDeps['failAfter'] }): ErasureService {
  return new ErasureService({
    store: deps.store,
    keys: deps.keys,
    blobs: deps.blobs,
    signer: { signStatement: () => Promise.reject(new Error('the erasure executor signs no receipts')) },
    sessionsOf: sessionsOf(deps.pool),
    ...(deps.failAfter ? { failAfter: deps.failAfter } : {}),
  });
}

/** The executor as a consumer for a ProjectorRunner. */
export function erasureExecutorConsumer(store: EventStore, service: Pick<ErasureService, 'execute'>): Projection {
  return reactorConsumer<ErasureJobData>(erasureRequests, {
    store,
    sink: {
      async enqueue(jobs) {
        for (const job of jobs) await service.execute(job.data.erasureId);
      },
    },
  });
}

export const erasureExecutorBridge: JobBridgeSpec = {
  reactor: erasureRequests,
  start(deps) {
    if (!deps.keys) throw new Error('the erasure executor needs the key store (WorkerProcessDeps.privacy)');
    const service = executingErasureService({ store: deps.eventStore, keys: deps.keys, pool: deps.pool, blobs: deps.blobs });
    return { consumer: erasureExecutorConsumer(deps.eventStore, service), cancel: () => undefined, close: () => Promise.resolve() };
  },
};
