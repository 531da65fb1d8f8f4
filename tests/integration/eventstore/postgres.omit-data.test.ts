// EventFilter.omitData on the PostgreSQL adapter: the named fields of the named types are left
// out server-side, on reads and on subscriptions; nothing else changes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { collect, take } from './contract.js';

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('omitdata');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  await store.append('omit-a', [
    { type: 'Big', data: { keep: 1, heavy: [1, 2, 3], other: 'x' } },
    { type: 'Small', data: { keep: 2, heavy: [4] } },
    { type: 'Big', data: { keep: 3 } },
  ]);
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

const filter = { streamPrefixes: ['omit-'], omitData: { Big: ['heavy', 'other'] } };

describe('omitData (PostgreSQL)', () => {
  it('leaves out the named fields of the named types only', async () => {
    const events = await collect(store.readAll({ filter }));
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['Big', { keep: 1 }],
      ['Small', { keep: 2, heavy: [4] }],
      ['Big', { keep: 3 }],
    ]);
  });

  it('delivers the same events as a read without it, in the same order', async () => {
    const full = await collect(store.readAll({ filter: { streamPrefixes: ['omit-'] } }));
    const slim = await collect(store.readAll({ filter }));
    expect(slim.map((e) => [e.id, e.revision, e.position])).toEqual(full.map((e) => [e.id, e.revision, e.position]));
    expect(full[0]!.data).toEqual({ keep: 1, heavy: [1, 2, 3], other: 'x' });
  });

  it('applies to subscriptions too', async () => {
    const sub = store.subscribe({ from: 'start', filter });
    const events = await take(sub, 3, 10_000);
    await sub.close();
    expect(events.map((e) => e.data)).toEqual([{ keep: 1 }, { keep: 2, heavy: [4] }, { keep: 3 }]);
  });
});
