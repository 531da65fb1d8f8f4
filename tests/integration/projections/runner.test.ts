// The projector runner: checkpoint in the same transaction as the read model, crash recovery
// (thrown mid-batch, connection killed), stop/restart between batches, one active instance.

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { Position, RecordedEvent } from '../../../src/eventstore/types.js';
import { CheckpointWaiter } from '../../../src/checkpoints/checkpoint-waiter.js';
import { readCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import type { Projection } from '../../../src/projections/projection.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { testLogger } from '../../support/silent-logger.js';
import { until } from '../../support/until.js';

let db: TestDatabase;
let store: PostgresEventStore;
let waiter: CheckpointWaiter;
let lastPosition: Position;
const TOTAL = 300;

/** Inserts each event id into `table`; the primary key makes a second application fail loudly. */
function counting(name: string, table: string, hooks: { before?: (e: RecordedEvent, index: number) => void } = {}): Projection {
  let seen = 0;
  return {
    name,
    filter: { streamPrefixes: ['cnt-'] },
    async apply(tx: pg.ClientBase, events) {
      for (const e of events) {
        hooks.before?.(e, seen++);
        await tx.query(`insert into ${table} (event_id, n) values ($1, $2)`, [e.id, (e.data as { n: number }).n]);
      }
    },
  };
}

async function tableIds(table: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ event_id: string }>(`select event_id::text from ${table} order by event_id`);
  return rows.map((r) => r.event_id);
}

beforeAll(async () => {
  db = await createTestDatabase('runner');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  waiter = new CheckpointWaiter(db.pool, db.url);
  for (const t of ['t_crash', 't_replay', 't_stop', 't_kill', 't_lock']) {
    await db.pool.query(`create table ${t} (event_id uuid primary key, n int not null)`);
  }
  for (let i = 0; i < TOTAL; i += 10) {
    const r = await store.append(`cnt-${i % 7}`, Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i + k } })));
    lastPosition = r.position;
  }
  // Noise the projection does not read.
  await store.append('other-1', [{ type: 'Ignored', data: {} }]);
});

afterAll(async () => {
  await waiter.close();
  await store.close();
  await db.drop();
});

const opts = { batchSize: 25, errorBackoffMs: 20, standbyRetryMs: 50, idleCheckpointMs: 30 };

describe('projector runner', () => {
  it('a throw inside the handler mid-batch rolls back; after restart the model equals a replay, nothing applied twice', async () => {
    let thrown = 0;
    const crashing = counting('crash', 't_crash', {
      before: (_e, index) => {
        if (index === 137 && thrown === 0) {
          thrown++;
          throw new Error('boom in the middle of a batch');
        }
      },
    });
    const runner = new ProjectorRunner(db.url, store, crashing, testLogger, opts).start();
    const replay = new ProjectorRunner(db.url, store, counting('replay', 't_replay'), testLogger, opts).start();
    expect(await waiter.waitFor(['crash', 'replay'], lastPosition, 20_000)).toBe(true);
    await Promise.all([runner.stop(), replay.stop()]);
    expect(thrown).toBe(1);
    const crashed = await tableIds('t_crash');
    expect(crashed).toHaveLength(TOTAL);
    expect(crashed).toEqual(await tableIds('t_replay'));
    const { rows } = await db.pool.query<{ events_applied: string }>(`select events_applied::text from rm.checkpoints where consumer = 'crash'`);
    expect(Number(rows[0]!.events_applied)).toBe(TOTAL);
  });

  it('stopped between batches and started again, it continues where it stopped', async () => {
    let applied = 0;
    const projection = counting('stop', 't_stop', { before: () => void applied++ });
    const first = new ProjectorRunner(db.url, store, projection, testLogger, opts).start();
    // Wait until a few batches are in, then stop: stop() finishes the batch in hand.
    await until(() => applied >= 60, '60 events applied');
    await first.stop();
    const partial = await tableIds('t_stop');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(TOTAL);
    const second = new ProjectorRunner(db.url, store, counting('stop', 't_stop'), testLogger, opts).start();
    expect(await waiter.waitFor(['stop'], lastPosition, 20_000)).toBe(true);
    await second.stop();
    expect(await tableIds('t_stop')).toEqual(await tableIds('t_replay'));
  });

  it('survives its database connection being killed mid-run', async () => {
    let killed = false;
    let applied = 0;
    const projection = counting('kill', 't_kill', {
      before: () => {
        applied++;
      },
    });
    const runner = new ProjectorRunner(db.url, store, projection, testLogger, opts).start();
    await until(() => applied >= 40, '40 events applied');
    const { rowCount } = await db.pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'facetrail-projector-kill@%'`);
    killed = (rowCount ?? 0) > 0;
    expect(await waiter.waitFor(['kill'], lastPosition, 20_000)).toBe(true);
    await runner.stop();
    expect(killed).toBe(true);
    expect(await tableIds('t_kill')).toEqual(await tableIds('t_replay'));
  });

  it('only one instance is active; a standby takes over when the active one stops', async () => {
    const a = new ProjectorRunner(db.url, store, counting('lock', 't_lock'), testLogger, opts).start();
    await until(() => a.status === 'active', 'a active');
    const b = new ProjectorRunner(db.url, store, counting('lock', 't_lock'), testLogger, opts).start();
    await until(() => b.status === 'standby', 'b standby');
    expect(a.status).toBe('active');
    await a.stop();
    await until(() => b.status === 'active', 'b takes over');
    expect(await waiter.waitFor(['lock'], lastPosition, 20_000)).toBe(true);
    await b.stop();
    expect(await tableIds('t_lock')).toEqual(await tableIds('t_replay'));
  });

  it('moves its checkpoint past events it does not read, so read-your-writes waits end', async () => {
    const runner = new ProjectorRunner(db.url, store, counting('replay', 't_replay'), testLogger, opts).start();
    const unrelated = await store.append('other-2', [{ type: 'Ignored', data: {} }]);
    expect(await waiter.waitFor(['replay'], unrelated.position, 20_000)).toBe(true);
    await runner.stop();
    const cp = await readCheckpoint(db.pool, 'replay');
    expect(cp).toBeDefined();
  });
});
