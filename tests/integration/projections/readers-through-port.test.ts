// Issue 14, items 2 and 10: the readers of the whole log (projections:status, the lag metric, the
// rebuild, the audit feed) work through the EventStore port alone — over a real PostgreSQL store
// wrapped so that `localData` is undefined, as on EventStoreDB — and bound what they read.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/projections-common.js';
import { execute as statusCommand } from '../../../src/cli/projections-status.js';
import { writeCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import { START, positionToCursor, type Position } from '../../../src/eventstore/position.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore, ReadAllOptions } from '../../../src/eventstore/types.js';
import { projections } from '../../../src/projections/index.js';
import { consumerLag } from '../../../src/projections/lag-metrics.js';
import { rebuildAndSwap } from '../../../src/projections/rebuild.js';
import { PORT_LAG_COUNT_CAP, projectionStatus } from '../../../src/projections/status.js';
import { AuditFeed } from '../../../src/queries/audit/audit-feed.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

/** The store as the port shows it, without the PostgreSQL-only capability; records readAll calls. */
function portOnly(store: EventStore, reads: ReadAllOptions[] = []): EventStore {
  return {
    kind: store.kind,
    limits: store.limits,
    append: (stream, events, opts) => store.append(stream, events, opts),
    readStream: (stream, opts) => store.readStream(stream, opts),
    readAll: (opts = {}) => {
      reads.push(opts);
      return store.readAll(opts);
    },
    subscribe: (opts) => store.subscribe(opts),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

let db: TestDatabase;
let store: PostgresEventStore;
let head: Position;

beforeAll(async () => {
  db = await createTestDatabase('f14_port_readers');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 200 });
  // Streams no projection reads, and three in the users projection's prefix (never applied: no runner).
  for (let i = 0; i < 5; i++) await store.append(`f14other-${i}`, [{ type: 'Noise', data: { i } }]);
  for (let i = 0; i < 3; i++) await store.append(`user-f14-${i}`, [{ type: 'Probe', data: { i } }]);
  head = (await store.append('f14other-last', [{ type: 'Noise', data: {} }])).position;
  const client = await db.pool.connect();
  try {
    await writeCheckpoint(client, 'users', START, 0);
  } finally {
    client.release();
  }
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('projections:status and the lag metric without localData (item 10)', () => {
  it('count the same lag through the port as in SQL', async () => {
    const viaSql = (await projectionStatus(db.pool, store)).find((s) => s.consumer === 'users');
    const viaPort = (await projectionStatus(db.pool, portOnly(store))).find((s) => s.consumer === 'users');
    expect(viaSql?.lagEvents).toBe(3);
    expect(viaPort).toMatchObject({ consumer: 'users', cursor: '0-0', lagEvents: 3, lagCapped: false });
    expect(viaPort!.lagSeconds).toBeGreaterThanOrEqual(0);
    const lag = await consumerLag(db.pool, portOnly(store));
    expect(lag.find((l) => l.consumer === 'users')?.lagEvents).toBe(3);
  });

  it('the projections:status command runs on a store without localData', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = { pool: db.pool, store: portOnly(store), out: (l) => out.push(l), err: (l) => err.push(l) };
    expect(await statusCommand([], ctx), err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/^users\s+0-0\s+0\s+3\s+/m);
  });

  it('the port lag reads only up to the head noted at the start', async () => {
    const reads: ReadAllOptions[] = [];
    await projectionStatus(db.pool, portOnly(store, reads));
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.to, 'readAll without an upper bound').toBeDefined();
    // EventStoreDB's client filters $all on the client and counts maxCount in matches: a filtered
    // read would scan to the head. The lag reads unfiltered, at most the cap + 1 events.
    for (const r of reads) {
      expect(r.filter, 'a filtered port read scans without bound on EventStoreDB').toBeUndefined();
      expect(r.maxCount).toBeLessThanOrEqual(PORT_LAG_COUNT_CAP + 1);
    }
  });
});

describe('bounded readers (item 2)', () => {
  it('a rebuild reads the log only up to a noted position (checkpoint or head), never open-ended', async () => {
    const reads: ReadAllOptions[] = [];
    const users = projections.find((p) => p.name === 'users')!;
    const result = await rebuildAndSwap({ pool: db.pool, store: portOnly(store, reads) }, users);
    expect(result.swapped).toBe(true);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.to, 'rebuild readAll without an upper bound').toBeDefined();
  });

  it("an audit page whose filter matches nothing moves the cursor on to the head it read to", async () => {
    const feed = new AuditFeed(store);
    const page = await feed.page({ limit: 10, streamPrefix: 'f14-nothing-' });
    expect(page.events).toEqual([]);
    expect(page.nextCursor).toBe(positionToCursor((await store.headPosition())!));
    expect(page.nextCursor).not.toBe('0-0');
    // A page that filled up still ends at its last event; the next one carries on from there.
    const first = await feed.page({ limit: 2, streamPrefix: 'user-f14-' });
    expect(first.events.map((e) => e.stream)).toEqual(['user-f14-0', 'user-f14-1']);
    expect(first.nextCursor).toBe(first.events[1]!.position);
    const rest = await feed.page({ limit: 2, streamPrefix: 'user-f14-', after: { commit: BigInt(first.nextCursor.split('-')[0]!), prepare: BigInt(first.nextCursor.split('-')[1]!) } });
    expect(rest.events.map((e) => e.stream)).toEqual(['user-f14-2']);
    expect(rest.nextCursor).toBe(positionToCursor(head));
  });
});
