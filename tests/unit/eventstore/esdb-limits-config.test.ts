// Issue 14, item 5: ESDB_MAX_APPEND_BYTES carries a server's MaxAppendSize to the adapter's limits.

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEventStore } from '../../../src/eventstore/create-event-store.js';

describe('ESDB_MAX_APPEND_BYTES', () => {
  it('defaults to 1 MiB (EventStoreDB default MaxAppendSize) and reaches the adapter', async () => {
    expect(loadConfig({}).esdbMaxAppendBytes).toBe(1024 * 1024);
    const config = loadConfig({ ESDB_MAX_APPEND_BYTES: String(4 * 1024 * 1024) });
    expect(config.esdbMaxAppendBytes).toBe(4 * 1024 * 1024);
    // Neither store connects before its first call.
    const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/none' });
    const store = await createEventStore({ eventStoreUrl: 'esdb://127.0.0.1:1?tls=false', esdbMaxAppendBytes: config.esdbMaxAppendBytes, pool, databaseUrl: 'postgres://127.0.0.1:1/none' });
    try {
      expect(store.kind).toBe('esdb');
      expect(store.limits.appendMaxBytes).toBe(4 * 1024 * 1024);
      const pgStore = await createEventStore({ eventStoreUrl: undefined, pool, databaseUrl: 'postgres://127.0.0.1:1/none' });
      expect(pgStore.limits.appendMaxBytes).toBe(16 * 1024 * 1024);
      await pgStore.close();
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
