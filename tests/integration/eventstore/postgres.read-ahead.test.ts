// A PostgreSQL subscription catching up reads the next pages while its consumer still holds the
// current one, yet its scan position (the consumer's idle checkpoint) never passes an event the
// consumer has not taken; every event still comes once, in order.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { comparePositions } from '../../../src/eventstore/position.js';
import type { RecordedEvent } from '../../../src/eventstore/types.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { eventually } from '../../../support/eventually.js';

let db: TestDatabase;
let store: PostgresEventStore;
let pageReads = 0;

beforeAll(async () => {
  db = await createTestDatabase('read_ahead');
  const query = db.pool.query.bind(db.pool) as (...args: unknown[]) => unknown;
  (db.pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const config = args[0] as { name?: string } | string;
    if (typeof config === 'object' && config.name?.startsWith('es_read_all_page')) pageReads++;
    return query(...args);
  };
  store = new PostgresEventStore(db.pool, { url: db.url, pageSize: 10, pollIntervalMs: 50 });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('PostgreSQL subscription read-ahead', () => {
  it('reads the next pages while the first is held, and its checkpoint stays behind what was taken', async () => {
    const stream = `ra-${randomUUID()}`;
    for (let i = 0; i < 5; i++) await store.append(stream, Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i * 10 + k } })));
    const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: [stream] } });
    const it = sub[Symbol.asyncIterator]();
    const before = pageReads;
    const first = await it.next();
    expect(first.done).toBe(false);
    // The consumer holds event 0: the two pages after the first are asked for meanwhile.
    await eventually(() => Promise.resolve(pageReads - before >= 3), 'two pages read ahead');
    expect(sub.checkpoint()).toBeUndefined();
    const taken: RecordedEvent[] = [first.value as RecordedEvent];
    while (taken.length < 50) {
      const r = await it.next();
      taken.push(r.value as RecordedEvent);
      const cp = sub.checkpoint();
      // Never past the last event taken (a page's position moves once its every event is handed out).
      if (cp) expect(comparePositions(cp, taken.at(-1)!.position)).toBeLessThanOrEqual(0);
    }
    expect(taken.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await sub.close();
  });
});
