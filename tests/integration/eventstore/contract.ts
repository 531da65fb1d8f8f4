// The event store contract (DESIGN.md §3): one body, run against every adapter by the
// *.contract.test.ts files beside it. Every test uses streams with a fresh random prefix, so the
// suite can run against a shared server.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../support/eventually.js';
import {
  InvalidCursorError,
  InvalidEventError,
  WrongExpectedRevisionError,
  type Position,
  comparePositions,
  cursorToPosition,
  positionToCursor,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from '../../../src/eventstore/index.js';

export interface ContractTarget {
  store: EventStore;
  cleanup(): Promise<void>;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Reads `n` events from a subscription, failing (not hanging) after `timeoutMs`. */
export async function take(sub: Subscription, n: number, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  if (n === 0) return out;
  const iterator = sub[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(left, 0));
    });
    const next = await Promise.race([iterator.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`subscription delivered ${out.length} of ${n} events within ${timeoutMs} ms`);
    if (next.done) throw new Error(`subscription ended after ${out.length} of ${n} events`);
    out.push(next.value);
  }
  return out;
}

function ev(type: string, data: unknown, id?: string): NewEvent {
  return { id, type, data, metadata: { correlationId: 'c-1', actor: { id: 'tester', kind: 'system' }, schemaVersion: 1 } };
}

export function eventStoreContract(name: string, makeTarget: () => Promise<ContractTarget | undefined>): void {
  describe(`event store contract: ${name}`, () => {
    let target: ContractTarget | undefined;
    let store: EventStore;
    let prefix: string;
    const s = (suffix: string) => `${prefix}${suffix}`;

    beforeAll(async () => {
      target = await makeTarget();
      if (target) store = target.store;
    });
    afterAll(async () => {
      await target?.cleanup();
    });
    // A fresh stream prefix per test keeps tests independent on a shared store.
    const test = (title: string, body: () => Promise<void>) =>
      it(title, async (ctx) => {
        if (!target) ctx.skip();
        prefix = `ct${randomUUID().slice(0, 8)}-`;
        await body();
      });

    test('append then readStream round-trips ids, types, data, metadata and revisions', async () => {
      const id = randomUUID();
      const result = await store.append(s('a'), [
        ev('Created', { n: 1, text: 'héllo 👋', nested: { list: [1, 2.5, null, true] } }, id),
        ev('Updated', { n: 2 }),
        ev('Updated', [1, 'two']),
      ]);
      expect(result.nextRevision).toBe(2n);
      const events = await collect(store.readStream(s('a')));
      expect(events.map((e) => [e.type, e.revision, e.stream])).toEqual([
        ['Created', 0n, s('a')],
        ['Updated', 1n, s('a')],
        ['Updated', 2n, s('a')],
      ]);
      expect(events[0]!.id).toBe(id);
      expect(events[0]!.data).toEqual({ n: 1, text: 'héllo 👋', nested: { list: [1, 2.5, null, true] } });
      expect(events[2]!.data).toEqual([1, 'two']);
      expect(events[0]!.metadata).toMatchObject({ correlationId: 'c-1', actor: { id: 'tester', kind: 'system' }, schemaVersion: 1 });
      expect(events[0]!.recordedAt).toBeInstanceOf(Date);
      expect(Math.abs(events[0]!.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
      for (let i = 1; i < events.length; i++) expect(comparePositions(events[i - 1]!.position, events[i]!.position)).toBe(-1);
      expect(comparePositions(result.position, events[2]!.position)).toBe(0);
    });

    test("expectedRevision 'no_stream' creates a stream once", async () => {
      await store.append(s('n'), [ev('A', {})], { expectedRevision: 'no_stream' });
      const err = await store.append(s('n'), [ev('B', {})], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect((err as WrongExpectedRevisionError).actual).toBe(0n);
      expect((await collect(store.readStream(s('n')))).map((e) => e.type)).toEqual(['A']);
    });

    test("expectedRevision 'stream_exists' needs an existing stream", async () => {
      const err = await store.append(s('x'), [ev('A', {})], { expectedRevision: 'stream_exists' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect((err as WrongExpectedRevisionError).actual).toBe('no_stream');
      expect(await collect(store.readStream(s('x')))).toEqual([]);
      await store.append(s('x'), [ev('A', {})], { expectedRevision: 'no_stream' });
      const r = await store.append(s('x'), [ev('B', {})], { expectedRevision: 'stream_exists' });
      expect(r.nextRevision).toBe(1n);
    });

    test('expectedRevision as a revision is a compare-and-set', async () => {
      const missing = await store.append(s('r'), [ev('A', {})], { expectedRevision: 0n }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(WrongExpectedRevisionError);
      const r0 = await store.append(s('r'), [ev('A', {}), ev('B', {})], { expectedRevision: 'no_stream' });
      expect(r0.nextRevision).toBe(1n);
      const r1 = await store.append(s('r'), [ev('C', {})], { expectedRevision: 1n });
      expect(r1.nextRevision).toBe(2n);
      const stale = await store.append(s('r'), [ev('D', {})], { expectedRevision: 1n }).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
      expect((stale as WrongExpectedRevisionError).actual).toBe(2n);
      expect((stale as WrongExpectedRevisionError).code).toBe('wrong_expected_revision');
      const ahead = await store.append(s('r'), [ev('D', {})], { expectedRevision: 7n }).catch((e: unknown) => e);
      expect(ahead).toBeInstanceOf(WrongExpectedRevisionError);
      expect((await collect(store.readStream(s('r')))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    test("expectedRevision 'any' appends whatever the state", async () => {
      expect((await store.append(s('y'), [ev('A', {})], { expectedRevision: 'any' })).nextRevision).toBe(0n);
      expect((await store.append(s('y'), [ev('B', {})])).nextRevision).toBe(1n);
    });

    test('re-appending the same event ids is an idempotent no-op', async () => {
      const batch = [ev('A', { v: 1 }, randomUUID()), ev('B', { v: 2 }, randomUUID())];
      const first = await store.append(s('i'), batch, { expectedRevision: 'no_stream' });
      const again = await store.append(s('i'), batch, { expectedRevision: 'no_stream' });
      expect(again.nextRevision).toBe(first.nextRevision);
      expect(comparePositions(again.position, first.position)).toBe(0);
      const anyAgain = await store.append(s('i'), batch);
      expect(anyAgain.nextRevision).toBe(1n);
      expect((await collect(store.readStream(s('i')))).map((e) => e.type)).toEqual(['A', 'B']);
    });

    test('readStream forwards and backwards with fromRevision and maxCount', async () => {
      await store.append(
        s('f'),
        Array.from({ length: 10 }, (_, i) => ev('N', { i })),
      );
      const revs = async (opts: Parameters<EventStore['readStream']>[1]) =>
        (await collect(store.readStream(s('f'), opts))).map((e) => Number(e.revision));
      expect(await revs({})).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await revs({ maxCount: 3 })).toEqual([0, 1, 2]);
      expect(await revs({ fromRevision: 7n })).toEqual([7, 8, 9]);
      expect(await revs({ direction: 'backwards' })).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expect(await revs({ direction: 'backwards', maxCount: 2 })).toEqual([9, 8]);
      expect(await revs({ direction: 'backwards', fromRevision: 4n, maxCount: 3 })).toEqual([4, 3, 2]);
      expect(await collect(store.readStream(s('missing')))).toEqual([]);
    });

    test('readAll pages by cursor without skipping or repeating', async () => {
      for (let i = 0; i < 7; i++) await store.append(s(`p${i % 3}`), [ev('P', { i })]);
      const filter = { streamPrefixes: [prefix] };
      const all = await collect(store.readAll({ filter }));
      expect(all.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const paged: RecordedEvent[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await collect(store.readAll({ filter, maxCount: 3, ...(cursor ? { from: cursorToPosition(cursor) } : {}) }));
        if (page.length === 0) break;
        paged.push(...page);
        cursor = positionToCursor(page.at(-1)!.position);
      }
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
      const typed = await collect(store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['Nope'] } }));
      expect(typed).toEqual([]);
    });

    test('subscribe from start catches up, then goes live', async () => {
      await store.append(s('sub'), [ev('Old', { i: 0 }), ev('Old', { i: 1 })]);
      const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: [prefix] } });
      try {
        const history = await take(sub, 2);
        expect(history.map((e) => e.type)).toEqual(['Old', 'Old']);
        await store.append(s('sub'), [ev('New', { i: 2 })]);
        await store.append(s('sub2'), [ev('New', { i: 3 })]);
        const live = await take(sub, 2);
        expect(live.map((e) => (e.data as { i: number }).i)).toEqual([2, 3]);
      } finally {
        await sub.close();
      }
    });

    test('subscribe from end sees only new events', async () => {
      await store.append(s('end'), [ev('Old', {})]);
      const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: [prefix] } });
      try {
        // The subscription resolves its start lazily; start iterating before appending.
        const pending = take(sub, 1);
        await new Promise((r) => setImmediate(r));
        await store.append(s('end'), [ev('New', {})]);
        const got = await pending;
        expect(got.map((e) => e.type)).toEqual(['New']);
      } finally {
        await sub.close();
      }
    });

    test('subscribe from a cursor gets the events after it', async () => {
      await store.append(s('c'), [ev('A', {}), ev('B', {}), ev('C', {})]);
      const events = await collect(store.readStream(s('c')));
      const cursor = positionToCursor(events[0]!.position);
      const sub = store.subscribe({ from: cursorToPosition(cursor), filter: { streamPrefixes: [prefix] } });
      try {
        const got = await take(sub, 2);
        expect(got.map((e) => e.type)).toEqual(['B', 'C']);
        await store.append(s('c'), [ev('D', {})]);
        expect((await take(sub, 1)).map((e) => e.type)).toEqual(['D']);
      } finally {
        await sub.close();
      }
    });

    test('close() ends a waiting iterator', async () => {
      const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: [prefix] } });
      const seen: RecordedEvent[] = [];
      const loop = (async () => {
        for await (const e of sub) seen.push(e);
        return 'ended';
      })();
      await store.append(s('z'), [ev('A', {})]);
      await sub.close();
      await expect(loop).resolves.toBe('ended');
    });

    describe('bounded reads, append limits and cursor garbage (issue 14: 2, 5, 6)', () => {
      const inPrefix = () => ({ streamPrefixes: [prefix] });

      test('readAll({to}) stops at `to`, inclusive', async () => {
        const positions: Position[] = [];
        for (let i = 0; i < 5; i++) positions.push((await store.append(s('a'), [ev('A', { i })])).position);
        const upTo = await collect(store.readAll({ filter: inPrefix(), to: positions[2]! }));
        expect(upTo.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
        // Unfiltered too, from a position: (from, to].
        const window = (await collect(store.readAll({ from: positions[0]!, to: positions[3]! }))).filter((e) => e.stream === s('a'));
        expect(window.map((e) => e.data)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
        // `to` at or before `from`: nothing.
        expect(await collect(store.readAll({ from: positions[3]!, to: positions[3]!, filter: inPrefix() }))).toEqual([]);
        expect(await collect(store.readAll({ from: positions[4]!, to: positions[1]!, filter: inPrefix() }))).toEqual([]);
      });

      test('a filtered readAll with `to` below the first match yields nothing', async () => {
        const other = await store.append(s('other'), [ev('A', { n: 1 })]);
        await store.append(s('wanted'), [ev('A', { n: 2 })]);
        expect(await collect(store.readAll({ filter: { streamPrefixes: [s('wanted')] }, to: other.position }))).toEqual([]);
        // Without the bound the match is there.
        expect(await collect(store.readAll({ filter: { streamPrefixes: [s('wanted')] } }))).toHaveLength(1);
      });

      test('maxCount and `to` together: whichever comes first', async () => {
        const positions: Position[] = [];
        for (let i = 0; i < 5; i++) positions.push((await store.append(s('m'), [ev('A', { i })])).position);
        const byCount = await collect(store.readAll({ filter: inPrefix(), to: positions[3]!, maxCount: 2 }));
        expect(byCount.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }]);
        const byBound = await collect(store.readAll({ filter: inPrefix(), to: positions[1]!, maxCount: 10 }));
        expect(byBound.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }]);
      });

      /** Events of `type` whose sizes (as AppendLimits counts them) are `sizes`. */
      const sized = (sizes: number[]): NewEvent[] =>
        sizes.map((size) => {
          const e = ev('Blob', { b: '' });
          const overhead = Buffer.byteLength(JSON.stringify(e.data)) + Buffer.byteLength(JSON.stringify(e.metadata)) + 2 * e.type.length;
          return { ...e, data: { b: 'x'.repeat(size - overhead) } };
        });
      /** `total` bytes in as few events as the per-event limit allows, as even as possible. */
      const split = (total: number, eventMax: number): number[] => {
        const n = Math.ceil(total / eventMax);
        const base = Math.floor(total / n);
        return Array.from({ length: n }, (_, i) => base + (i < total - base * n ? 1 : 0));
      };

      test("an append exactly at the store's byte limit succeeds; one byte over → append_too_large, nothing written", async () => {
        const { appendMaxBytes, eventMaxBytes } = store.limits;
        const atLimit = split(appendMaxBytes, eventMaxBytes);
        expect(atLimit.reduce((a, b) => a + b, 0)).toBe(appendMaxBytes);
        const ok = await store.append(s('big'), sized(atLimit));
        expect(ok.nextRevision).toBe(BigInt(atLimit.length - 1));

        const over = split(appendMaxBytes + 1, eventMaxBytes);
        const err = await store.append(s('too-big'), sized(over)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidEventError);
        expect((err as InvalidEventError).code).toBe('append_too_large');
        expect(await collect(store.readStream(s('too-big')))).toEqual([]);

        // One event exactly at the per-event limit, and one byte over it.
        await store.append(s('one'), sized([eventMaxBytes]));
        const one = await store.append(s('one-over'), sized([eventMaxBytes + 1])).catch((e: unknown) => e);
        expect((one as InvalidEventError).code).toMatch(/^(event_too_large|append_too_large)$/);
      });

      test('cursor garbage: a malformed position is a typed invalid_cursor error; past the head reads nothing', async () => {
        const { position } = await store.append(s('c'), [ev('A', {})]);
        const malformed: Position[] = [
          { commit: -1n, prepare: 0n },
          { commit: 0n, prepare: -5n },
          { commit: 1n << 63n, prepare: 0n },
        ];
        for (const from of malformed) {
          const err = await collect(store.readAll({ from })).catch((e: unknown) => e);
          expect(err, positionToCursor(from)).toBeInstanceOf(InvalidCursorError);
          expect((err as InvalidCursorError).code).toBe('invalid_cursor');
          const bound = await collect(store.readAll({ to: from, filter: inPrefix() })).catch((e: unknown) => e);
          expect(bound, `to ${positionToCursor(from)}`).toBeInstanceOf(InvalidCursorError);
        }
        // A well-formed position that names no event: either the events after it or invalid_cursor
        // (EventStoreDB's InvalidPosition), never another error.
        const odd: Position[] = [
          { commit: position.commit + 1n, prepare: position.prepare + 1n },
          { commit: (1n << 63n) - 1n, prepare: (1n << 63n) - 1n },
        ];
        for (const from of odd) {
          const result = await collect(store.readAll({ from, filter: inPrefix() })).catch((e: unknown) => e);
          if (Array.isArray(result)) expect(result).toEqual([]);
          else expect(result, positionToCursor(from)).toBeInstanceOf(InvalidCursorError);
        }
      });
    });

    describe('subscriptions: checkpoints past other streams, from end at the call', () => {
      test('checkpoint() passes events of other streams (filter on A, append only to B)', async () => {
        await store.append(s('a'), [ev('A', {})]);
        const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: [s('a')] } });
        try {
          expect((await take(sub, 1)).map((e) => e.stream)).toEqual([s('a')]);
          // Wait for more: nothing else matches, but the checkpoint must move on.
          const next = sub[Symbol.asyncIterator]().next();
          next.catch(() => undefined);
          let b = (await store.append(s('b'), [ev('B', { i: 0 })])).position;
          for (let i = 1; i < 3; i++) b = (await store.append(s('b'), [ev('B', { i })])).position;
          await eventually(
            () => Promise.resolve(comparePositions(sub.checkpoint() ?? { commit: 0n, prepare: 0n }, b) >= 0),
            `checkpoint() reaches B's position ${positionToCursor(b)}`,
            15_000,
          );
        } finally {
          await sub.close();
        }
      });

      test('subscribe from end then append at once, 50 times: every appended event arrives', async () => {
        for (let i = 0; i < 50; i++) {
          const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: [prefix] } });
          try {
            const appended = await store.append(s('e'), [ev('E', { i })]);
            const [got] = await take(sub, 1);
            expect(got?.id, `round ${i}`).toBe((await collect(store.readStream(s('e'), { fromRevision: appended.nextRevision, maxCount: 1 })))[0]?.id);
          } finally {
            await sub.close();
          }
        }
      });
    });

    test('bad input is rejected with a typed error and nothing is written', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: [string, () => Promise<unknown>, string][] = [
        ['empty stream', () => store.append('', [ev('A', {})]), 'invalid_stream_name'],
        ['long stream', () => store.append('x'.repeat(201), [ev('A', {})]), 'invalid_stream_name'],
        ['empty type', () => store.append(s('bad'), [ev('', {})]), 'invalid_event_type'],
        ['bigint data', () => store.append(s('bad'), [ev('A', { n: 1n })]), 'event_not_serializable'],
        ['cyclic data', () => store.append(s('bad'), [ev('A', cyclic)]), 'event_not_serializable'],
        ['NUL in data', () => store.append(s('bad'), [ev('A', { t: 'a\u0000b' })]), 'event_not_serializable'],
        ['oversize', () => store.append(s('bad'), [ev('A', { blob: 'x'.repeat(1024 * 1024 + 1) })]), 'event_too_large'],
        ['bad id', () => store.append(s('bad'), [ev('A', {}, 'not-a-uuid')]), 'invalid_event_id'],
        ['no events', () => store.append(s('bad'), []), 'empty_append'],
        ['good then bad', () => store.append(s('bad'), [ev('A', {}), ev('B', { n: 2n })]), 'event_not_serializable'],
      ];
      for (const [label, run, code] of cases) {
        const err = await run().catch((e: unknown) => e);
        expect(err, label).toBeInstanceOf(InvalidEventError);
        expect((err as InvalidEventError).code, label).toBe(code);
      }
      expect(await collect(store.readStream(s('bad')))).toEqual([]);
      expect(await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }))).toEqual([]);
    });
  });
}
