// subscribe({from: 'end'}) on PostgreSQL while an older transaction is still open anywhere in the
// cluster (another test file's database, a long report): an event committed before the call is the
// past even though its transaction id is above the snapshot's xmin, and an event of that older
// transaction, committed after the call, is new.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { take } from './contract.js';

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('from_end');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe("subscribe from 'end' with an older transaction open", () => {
  it('skips what was committed before the call and delivers only what came after', async () => {
    const older = new pg.Client({ connectionString: db.url });
    await older.connect();
    try {
      await older.query('begin');
      await older.query('select pg_current_xact_id()'); // holds the cluster's xmin below the next appends
      const stream = `fe-${randomUUID()}`;
      await store.append(stream, [{ type: 'Old', data: {} }]);
      const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: [stream] } });
      await store.append(stream, [{ type: 'New', data: {} }]);
      // Reads stop below an open older transaction (gap-safe): end it, then both events are readable.
      await older.query('rollback');
      const [first] = await take(sub, 1, 10_000);
      expect(first!.type).toBe('New');
      await sub.close();
    } finally {
      await older.query('rollback').catch(() => undefined);
      await older.end();
    }
  });
});
