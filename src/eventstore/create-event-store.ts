// Picks the event store adapter from EVENT_STORE_URL: unset means the embedded PostgreSQL store,
// esdb:// or esdb+discover:// means EventStoreDB (its client is loaded only then).

import type pg from 'pg';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import type { EventStore } from './types.js';

/** Which store EVENT_STORE_URL selects, and a credential-free name of it for messages. */
export interface EventStoreDescription {
  kind: EventStore['kind'];
  identity: string;
}

export interface CreateEventStoreOptions {
  /** EVENT_STORE_URL; undefined selects PostgreSQL. */
  eventStoreUrl: string | undefined;
  pool: pg.Pool;
  /** For the PostgreSQL store's LISTEN connection. */
  databaseUrl: string;
  onBackgroundError?: (err: Error) => void;
  /** EventStoreDB only: the server's MaxAppendSize (ESDB_MAX_APPEND_BYTES; default 1 MiB). */
  esdbMaxAppendBytes?: number;
}

const ESDB_SCHEMES = ['esdb://', 'esdb+discover://'];

export function describeEventStore(eventStoreUrl: string | undefined): EventStoreDescription {
  if (eventStoreUrl === undefined) return { kind: 'postgres', identity: 'this database' };
  // esdb://user:pass@host1:2113,host2:2113?tls=false -> host1:2113,host2:2113 (no user info, no query).
  const rest = eventStoreUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1);
  return { kind: 'esdb', identity: `${eventStoreUrl.startsWith('esdb+discover://') ? 'cluster via ' : ''}${hosts || 'no host'}` };
}

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
    return new EsdbEventStore(url, opts.esdbMaxAppendBytes !== undefined ? { maxAppendBytes: opts.esdbMaxAppendBytes } : {});
  }
  // Name only the scheme: the URL may carry credentials.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'no scheme';
  throw new Error(`EVENT_STORE_URL must start with esdb:// or esdb+discover:// (or be unset for PostgreSQL); got ${scheme}`);
}
