// The start-up half of refusing an EventStoreDB server older than 22.6 (0-0 positions on stream
// reads): what starts a role calls this once the store is built. Types only from the adapter, so
// the PostgreSQL path never loads the EventStoreDB client.

import { EventStoreUnavailableError } from '../errors.js';
import type { EventStore } from '../types.js';
import type { EsdbEventStore } from './esdb-event-store.js';
import { withDeadline } from './deadline.js';

export interface ServerCheckLog {
  warn(obj: object, msg: string): void;
}

/**
 * Runs the EventStoreDB store's server check (EsdbEventStore.checkServer), bounded by `timeoutMs`.
 * A server that reports 0-0 positions rejects (EsdbServerTooOldError: start-up stops). A server
 * that cannot be reached in time is logged and start-up goes on: the same check then runs before
 * the first operation of the store (no subscription delivers, no read or append runs before it
 * passes). Nothing to do for the PostgreSQL store.
 */
export async function checkEventStoreServer(store: EventStore, log: ServerCheckLog, timeoutMs = 5_000): Promise<void> {
  if (store.kind !== 'esdb') return;
  const check = (store as Partial<Pick<EsdbEventStore, 'checkServer'>>).checkServer;
  if (!check) return;
  try {
    await withDeadline(check.call(store), timeoutMs, () => new EventStoreUnavailableError(`EventStoreDB did not answer the start-up check within ${timeoutMs} ms`));
  } catch (err) {
    if (!(err instanceof EventStoreUnavailableError)) throw err;
    log.warn({ err: err.message }, 'EventStoreDB unreachable at start-up: its version check (positions on stream reads, >= 22.6) runs on the first successful connection, before any event is delivered');
  }
}
