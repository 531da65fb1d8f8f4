// @eventstore/db-client 6.2.1 (its last release) appends through the BatchAppend RPC whenever the
// server offers it, and that path keeps one module-global map of pending appends: an error on the
// shared batch stream rejects every pending append of every client, and a response that arrives
// after its entry is gone throws a TypeError in the stream's data handler. The per-append `Append`
// RPC has none of this (one call per append, its own result). The client picks the path by asking
// its `supports` check, which it also uses for other features: answer "no" for BatchAppend only.

import type { EventStoreDBClient } from '@eventstore/db-client';

export const BATCH_APPEND_PATH = '/event_store.client.streams.Streams/BatchAppend';

type Supports = (method: { path?: string }, feature?: string) => Promise<boolean>;

export function withoutBatchAppend(client: EventStoreDBClient): EventStoreDBClient {
  const target = client as unknown as { supports?: Supports };
  const supports = target.supports;
  // The client's shape is pinned by its version; if it changes, fail loudly rather than batch silently.
  if (typeof supports !== 'function') throw new Error('@eventstore/db-client has no supports() check: cannot keep appends off BatchAppend');
  target.supports = (method, feature) => (method.path === BATCH_APPEND_PATH ? Promise.resolve(false) : supports(method, feature));
  return client;
}
