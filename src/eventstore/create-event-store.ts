// Picks the event store adapter from EVENT_STORE_URL: unset means the embedded PostgreSQL store,
// esdb:// or esdb+discover:// means EventStoreDB (its client is loaded only then).

import type pg from 'pg';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import type { EventStore } from './types.js';

export interface CreateEventStoreOptions {
  /** EVENT_STORE_URL; undefined selects PostgreSQL. */
  eventStoreUrl: string | undefined;
  pool: pg.Pool;
  /** For the PostgreSQL store's LISTEN connection. */
  databaseUrl: string;
  onBackgroundError?: (err: Error) => void;
}

const ESDB_SCHEMES = ['esdb://', 'esdb+discover://'];

export async function createEventStore(opts: CreateEventStoreOptions): Promise<EventStore> {
  const url = opts.eventStoreUrl;
  if (url === undefined) {
    return new PostgresEventStore(opts.pool, {
      url: opts.databaseUrl,
      ...(opts.onBackgroundError ? { onBackgroundError: opts.onBackgroundError } : {}),
    });
  }
  if (ESDB_SCHEMES.some((scheme) => url.startsWith(scheme))) {
    const { EsdbEventStore } = await import('./esdb/esdb-event-store.js');
    return new EsdbEventStore(url);
  }
  // Name only the scheme: the URL may carry credentials.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'no scheme';
  throw new Error(`EVENT_STORE_URL must start with esdb:// or esdb+discover:// (or be unset for PostgreSQL); got ${scheme}`);
}
