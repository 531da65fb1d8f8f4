// The append paths of 0011: es.append_one_quiet / es.append_batch_quiet commit without a NOTIFY
// (a NOTIFY in the append's transaction serialises every notifying commit on one cluster-wide lock)
// and the store notifies after the commit; a lone append with a 'no_stream' or numeric expected
// revision is one plain statement that writes nothing when it cannot decide, and
// es.append_one_quiet answers. These pin what that must not change: statuses, revisions,
// idempotent repeats, nothing written by a refused append, and subscribers still woken.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateEventIdError, WrongExpectedRevisionError, comparePositions, type NewEvent } from '../../../src/eventstore/index.js';
import { CommitNotifier } from '../../../src/eventstore/postgres/commit-notifier.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { take } from './contract.js';

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('quiet_append');
  // A poll interval no test waits out: a subscriber that sees an append was woken by a NOTIFY.
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

const ev = (id = randomUUID()): NewEvent => ({ id, type: 'T', data: { n: 1 }, metadata: {} });
const written = async (stream: string) => {
  const { rows } = await db.pool.query<{ n: string; rev: string | null }>(
    'select (select count(*) from es.events where stream = $1)::text as n, (select revision::text from es.streams where stream = $1) as rev',
    [stream],
  );
  return rows[0]!;
};

describe('appends without a NOTIFY in their transaction', () => {
  it('es.append_one_quiet and es.append_batch_quiet send none; the store sends one after the commit, and a subscriber wakes on it', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      let arrived: () => void = () => undefined;
      listener.on('notification', (n) => {
        payloads.push(n.payload ?? '');
        arrived();
      });
      const next = (count: number) =>
        new Promise<void>((resolve) => {
          arrived = () => payloads.length >= count && resolve();
          arrived();
        });
      await listener.query('listen es_events');
      const e = JSON.stringify([{ i: randomUUID(), t: 'T', d: {}, m: {} }]);
      await db.pool.query('select * from es.append_one_quiet($1, $2, $3::jsonb)', [`q-one-${randomUUID()}`, 'no_stream', e]);
      await db.pool.query('select * from es.append_batch_quiet($1::jsonb)', [JSON.stringify([{ s: `q-batch-${randomUUID()}`, x: 'no_stream', e: [{ i: randomUUID(), t: 'T', d: {}, m: {} }] }])]);
      // Notifications from one session arrive in commit order: the marker comes first only if
      // the two appends before it sent none.
      await db.pool.query("select pg_notify('es_events', 'marker')");
      await next(1);
      expect(payloads[0]).toBe('marker');

      // Filtered: 'end' is the cluster's horizon, which a transaction in another database can hold
      // below the appends above.
      const stream = `q-store-${randomUUID()}`;
      const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: [stream] } });
      const got = take(sub, 1);
      await store.append(stream, [ev()], { expectedRevision: 'no_stream' });
      await next(2);
      expect(payloads[1]).toBe('');
      expect((await got).map((x) => x.stream)).toEqual([stream]);
      await sub.close();
    } finally {
      await listener.end();
    }
  });
});

describe('CommitNotifier', () => {
  it('commits reported in one turn of the event loop share one NOTIFY, sent after that turn', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      let marked: () => void = () => undefined;
      const marker = new Promise<void>((resolve) => (marked = resolve));
      listener.on('notification', (n) => {
        if (n.channel !== 'cn_test') return;
        payloads.push(n.payload ?? '');
        if (n.payload === 'marker') marked();
      });
      await listener.query('listen cn_test');
      const notifier = new CommitNotifier(db.pool, 'cn_test', (err) => {
        throw err;
      });
      for (let i = 0; i < 5; i++) notifier.committed();
      await notifier.idle();
      await db.pool.query("select pg_notify('cn_test', 'marker')");
      await marker;
      expect(payloads).toEqual(['', 'marker']);
    } finally {
      await listener.end();
    }
  });
  it('a commit right after a NOTIFY (within the least gap) gets one of its own, later, not none', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      let marked: () => void = () => undefined;
      const marker = new Promise<void>((resolve) => (marked = resolve));
      listener.on('notification', (n) => {
        if (n.channel !== 'cn_gap') return;
        payloads.push(n.payload ?? '');
        if (n.payload === 'marker') marked();
      });
      await listener.query('listen cn_gap');
      const notifier = new CommitNotifier(db.pool, 'cn_gap', (err) => {
        throw err;
      });
      notifier.committed();
      await notifier.idle();
      notifier.committed();
      await notifier.idle();
      await db.pool.query("select pg_notify('cn_gap', 'marker')");
      await marker;
      expect(payloads).toEqual(['', '', 'marker']);
    } finally {
      await listener.end();
    }
  });
});

describe('a lone append through the store (one statement, es.append_one_quiet when it cannot decide)', () => {
  it("'no_stream' with an event id taken by another stream: duplicate, and the stream is not created", async () => {
    const id = randomUUID();
    await store.append(`q-owner-${randomUUID()}`, [ev(id)], { expectedRevision: 'no_stream' });
    const s = `q-dup-new-${randomUUID()}`;
    await expect(store.append(s, [ev(), ev(id)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await written(s)).toEqual({ n: '0', rev: null });
  });

  it('a numeric expected revision with one id taken: duplicate, the stream row and events unchanged', async () => {
    const s = `q-dup-next-${randomUUID()}`;
    const taken = randomUUID();
    await store.append(`q-owner-${randomUUID()}`, [ev(taken)], { expectedRevision: 'no_stream' });
    await store.append(s, [ev()], { expectedRevision: 'no_stream' });
    await expect(store.append(s, [ev(), ev(taken)], { expectedRevision: 0n })).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await written(s)).toEqual({ n: '1', rev: '0' });
    expect((await store.append(s, [ev()], { expectedRevision: 0n })).nextRevision).toBe(1n);
  });

  it('repeats of a complete earlier append answer its result, at the same or a later expected revision', async () => {
    const s = `q-repeat-${randomUUID()}`;
    const first = [ev(), ev()];
    const created = await store.append(s, first, { expectedRevision: 'no_stream' });
    const second = [ev()];
    const next = await store.append(s, second, { expectedRevision: 1n });
    const again = await store.append(s, first, { expectedRevision: 'no_stream' });
    expect(again.nextRevision).toBe(1n);
    expect(comparePositions(again.position, created.position)).toBe(0);
    const againNext = await store.append(s, second, { expectedRevision: 1n });
    expect(againNext.nextRevision).toBe(2n);
    expect(comparePositions(againNext.position, next.position)).toBe(0);
    expect(await written(s)).toEqual({ n: '3', rev: '2' });
  });

  it('one event whose id is taken: a repeat at the current revision answers the original and leaves the stream row as it was', async () => {
    const s = `q-one-repeat-${randomUUID()}`;
    const e = ev();
    const created = await store.append(s, [e], { expectedRevision: 'no_stream' });
    const again = await store.append(s, [e], { expectedRevision: 0n });
    expect(again.nextRevision).toBe(0n);
    expect(comparePositions(again.position, created.position)).toBe(0);
    expect(await written(s)).toEqual({ n: '1', rev: '0' });
    expect((await store.append(s, [ev()], { expectedRevision: 0n })).nextRevision).toBe(1n);
  });

  it("one event, 'no_stream', its id taken by another stream: duplicate, and the stream is not created", async () => {
    const id = randomUUID();
    await store.append(`q-owner-${randomUUID()}`, [ev(id)], { expectedRevision: 'no_stream' });
    const s = `q-one-dup-${randomUUID()}`;
    await expect(store.append(s, [ev(id)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await written(s)).toEqual({ n: '0', rev: null });
  });

  it('a wrong expected revision names the actual one and writes nothing', async () => {
    const s = `q-wrong-${randomUUID()}`;
    const missing = await store.append(s, [ev()], { expectedRevision: 3n }).catch((e: unknown) => e);
    expect((missing as WrongExpectedRevisionError).actual).toBe('no_stream');
    await store.append(s, [ev(), ev(), ev()], { expectedRevision: 'no_stream' });
    const stale = await store.append(s, [ev()], { expectedRevision: 1n }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
    expect((stale as WrongExpectedRevisionError).actual).toBe(2n);
    const exists = await store.append(s, [ev()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect((exists as WrongExpectedRevisionError).actual).toBe(2n);
    expect(await written(s)).toEqual({ n: '3', rev: '2' });
  });

  it('revisions and positions of a multi-event lone append come in event order', async () => {
    const s = `q-order-${randomUUID()}`;
    const r = await store.append(s, [ev(), ev(), ev()], { expectedRevision: 'no_stream' });
    const { rows } = await db.pool.query<{ revision: string; gp: string; tx: string }>(
      'select revision::text, global_position::text as gp, transaction_id::text as tx from es.events where stream = $1 order by global_position',
      [s],
    );
    expect(rows.map((x) => x.revision)).toEqual(['0', '1', '2']);
    expect(r.position).toEqual({ commit: BigInt(rows[2]!.tx), prepare: BigInt(rows[2]!.gp) });
  });
});

describe('batches through es.append_batch_quiet (generic plans)', () => {
  it('concurrent appends, some repeating or reusing ids, each get their own answer', async () => {
    const owner = `q-b-owner-${randomUUID()}`;
    const taken = randomUUID();
    const repeated = [ev(), ev()];
    const repeatedStream = `q-b-repeat-${randomUUID()}`;
    await store.append(owner, [ev(taken)], { expectedRevision: 'no_stream' });
    const original = await store.append(repeatedStream, repeated, { expectedRevision: 'no_stream' });
    const fresh = Array.from({ length: 40 }, (_, i) => `q-b-${i}-${randomUUID()}`);
    const results = await Promise.allSettled([
      ...fresh.map((s) => store.append(s, [ev()], { expectedRevision: 'no_stream' })),
      store.append(`q-b-dup-${randomUUID()}`, [ev(taken)], { expectedRevision: 'no_stream' }),
      store.append(repeatedStream, repeated, { expectedRevision: 'no_stream' }),
      store.append(owner, [ev()], { expectedRevision: 5n }),
    ]);
    const ok = results.slice(0, 40);
    expect(ok.every((r) => r.status === 'fulfilled' && r.value.nextRevision === 0n)).toBe(true);
    const [dup, repeat, wrong] = results.slice(40);
    expect(dup?.status === 'rejected' && dup.reason instanceof DuplicateEventIdError).toBe(true);
    expect(repeat).toEqual({ status: 'fulfilled', value: original });
    expect(wrong?.status === 'rejected' && wrong.reason instanceof WrongExpectedRevisionError).toBe(true);
    const { rows } = await db.pool.query<{ n: string }>('select count(*)::text as n from es.events where stream = any($1)', [fresh]);
    expect(rows[0]!.n).toBe('40');
    expect(await written(owner)).toEqual({ n: '1', rev: '0' });
  });
});
