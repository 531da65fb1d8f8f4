// The cases that break naive PostgreSQL event stores: transactions committing out of order, and
// many writers racing on one stream.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WrongExpectedRevisionError, comparePositions, type RecordedEvent } from '../../../src/eventstore/index.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { collect, take } from './contract.js';

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('hardcases');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

function batchJson(stream: string, n: number, tag: string): string {
  const events = Array.from({ length: n }, (_, i) => ({ i: randomUUID(), t: 'Gap', d: { tag, i }, m: {} }));
  return JSON.stringify([{ s: stream, x: 'any', e: events }]);
}

describe('gap safety', () => {
  it('delivers every event exactly once, in an order that never goes back, when commits are out of order', async () => {
    const writers = 24;
    const live = store.subscribe({ from: 'start', filter: { streamPrefixes: ['gap-'] } });
    const liveEvents = (async () => {
      // 24 held transactions × 2 events + 24 interleaved autocommit appends.
      return take(live, writers * 2 + writers, 30_000);
    })();

    // Open all transactions first, in order, so their transaction ids ascend 0..23 …
    const clients: pg.Client[] = [];
    for (let w = 0; w < writers; w++) {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await c.query('begin');
      await c.query('select * from es.append_batch($1::jsonb)', [batchJson(`gap-held-${w}`, 2, `held-${w}`)]);
      clients.push(c);
    }
    // … then commit them in a scrambled order, with fresh autocommitted appends (higher ids)
    // landing between commits, so later transaction ids become visible before earlier ones.
    const order = Array.from({ length: writers }, (_, i) => (i * 7) % writers).reverse();
    for (const [k, w] of order.entries()) {
      await store.append(`gap-auto-${k}`, [{ type: 'Gap', data: { tag: `auto-${k}` } }]);
      await clients[w]!.query('commit');
      await clients[w]!.end();
    }

    const received = await liveEvents;
    await live.close();
    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(writers * 3);
    for (let i = 1; i < received.length; i++) {
      expect(comparePositions(received[i - 1]!.position, received[i]!.position), `event ${i} went back`).toBe(-1);
    }
    const tags = new Set(received.map((e) => (e.data as { tag: string }).tag));
    for (let w = 0; w < writers; w++) expect(tags.has(`held-${w}`)).toBe(true);

    // A subscriber started afterwards sees the identical sequence.
    const replay = store.subscribe({ from: 'start', filter: { streamPrefixes: ['gap-'] } });
    const again = await take(replay, received.length);
    await replay.close();
    expect(again.map((e) => e.id)).toEqual(ids);
    const viaReadAll = await collect(store.readAll({ filter: { streamPrefixes: ['gap-'] } }));
    expect(viaReadAll.map((e) => e.id)).toEqual(ids);
  });

  it('holds back events behind a still-open older transaction; readAll waits for them to settle', async () => {
    const older = new pg.Client({ connectionString: db.url });
    await older.connect();
    await older.query('begin');
    await older.query('select * from es.append_batch($1::jsonb)', [batchJson('hold-old', 1, 'old')]);
    await store.append('hold-new', [{ type: 'Gap', data: { tag: 'new' } }]);
    // The newer event is committed but must not be visible before the older transaction ends.
    const impatient = new PostgresEventStore(db.pool, { url: db.url, settleTimeoutMs: 0 });
    expect(await collect(impatient.readAll({ filter: { streamPrefixes: ['hold-'] } }))).toEqual([]);
    await impatient.close();
    // A patient readAll returns what was committed before it was called, once that is safe.
    const patient = collect(store.readAll({ filter: { streamPrefixes: ['hold-'] } }));
    await older.query('commit');
    await older.end();
    expect((await patient).map((e) => (e.data as { tag: string }).tag)).toEqual(['old', 'new']);
  });
});

describe('optimistic concurrency', () => {
  it('50 concurrent appends with the same expected revision: exactly one wins, no holes', async () => {
    const stream = `occ-${randomUUID()}`;
    await store.append(stream, [{ type: 'Opened', data: {} }], { expectedRevision: 'no_stream' });
    // Several store instances (each with its own batcher) so the race also happens between connections.
    const others = Array.from({ length: 4 }, () => new PostgresEventStore(db.pool, { url: db.url, maxBatchesInFlight: 4 }));
    const stores = [store, ...others];
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.append(stream, [{ type: 'Raced', data: { i } }], { expectedRevision: 0n })),
    );
    await Promise.all(others.map((o) => o.close()));
    const wins = results.filter((r) => r.status === 'fulfilled');
    const losses = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(wins).toHaveLength(1);
    expect(losses).toHaveLength(49);
    for (const l of losses) {
      expect(l.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect((l.reason as WrongExpectedRevisionError).actual).toBe(1n);
    }
    const events: RecordedEvent[] = await collect(store.readStream(stream));
    expect(events.map((e) => e.revision)).toEqual([0n, 1n]);
  });

  it('concurrent appends with expectedRevision any all land, with contiguous revisions', async () => {
    const stream = `any-${randomUUID()}`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.append(stream, [{ type: 'N', data: { i } }, { type: 'N', data: { i } }])));
    const events = await collect(store.readStream(stream));
    expect(events.map((e) => Number(e.revision))).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('a duplicate event id in one append of a batch does not fail its neighbours', async () => {
    const id = randomUUID();
    await store.append(`dup-a-${id}`, [{ id, type: 'A', data: {} }]);
    const [dup, ok] = await Promise.allSettled([
      store.append(`dup-b-${id}`, [{ id, type: 'A', data: {} }]),
      store.append(`dup-c-${id}`, [{ type: 'A', data: {} }]),
    ]);
    expect(dup.status).toBe('rejected');
    expect((dup as PromiseRejectedResult).reason).toMatchObject({ code: 'duplicate_event_id' });
    expect(ok.status).toBe('fulfilled');
    expect(await collect(store.readStream(`dup-b-${id}`))).toEqual([]);
  });
});
