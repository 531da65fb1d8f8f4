// es.append_one (a lone append, 0010) must answer exactly as es.append_batch does for a batch of
// one: same statuses, revisions and idempotent repeats. Through the store, every append alone takes
// append_one, so the contract suite covers it end to end; this pins the two functions together.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

interface Row {
  status: string;
  next_revision: string | null;
  commit_id: string | null;
  prepare_pos: string | null;
}

type Ev = { i: string; t: string; d: unknown; m: unknown };
const ev = (i = randomUUID()): Ev => ({ i, t: 'T', d: { n: 1 }, m: {} });

describe('es.append_one answers like es.append_batch', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('g_append_one');
  });
  afterAll(async () => {
    await db.drop();
  });

  const viaOne = async (s: string, x: string, e: Ev[]) =>
    (await db.pool.query<Row>('select status, next_revision::text, commit_id::text, prepare_pos::text from es.append_one($1, $2, $3::jsonb)', [s, x, JSON.stringify(e)])).rows;
  const viaBatch = async (s: string, x: string, e: Ev[]) =>
    (await db.pool.query<Row>('select status, next_revision::text, commit_id::text, prepare_pos::text from es.append_batch($1::jsonb)', [JSON.stringify([{ s, x, e }])])).rows;

  // The 0011 versions (no NOTIFY in the transaction) must answer the same.
  const viaOneQuiet = async (s: string, x: string, e: Ev[]) =>
    (await db.pool.query<Row>('select status, next_revision::text, commit_id::text, prepare_pos::text from es.append_one_quiet($1, $2, $3::jsonb)', [s, x, JSON.stringify(e)])).rows;
  const viaBatchQuiet = async (s: string, x: string, e: Ev[]) =>
    (await db.pool.query<Row>('select status, next_revision::text, commit_id::text, prepare_pos::text from es.append_batch_quiet($1::jsonb)', [JSON.stringify([{ s, x, e }])])).rows;

  it.each([
    ['append_one', viaOne],
    ['append_batch', viaBatch],
    ['append_one_quiet', viaOneQuiet],
    ['append_batch_quiet', viaBatchQuiet],
  ] as const)('%s: statuses, revisions, idempotent repeats, duplicate ids', async (_, append) => {
    const s = `g-a1-${randomUUID()}`;
    const other = `g-a1-other-${randomUUID()}`;
    const first = [ev(), ev()];
    const created = await append(s, 'no_stream', first);
    expect(created).toMatchObject([{ status: 'ok', next_revision: '1' }]);
    expect(created[0]!.commit_id).not.toBeNull();

    expect(await append(s, '1', [ev()])).toMatchObject([{ status: 'ok', next_revision: '2' }]);
    expect(await append(s, '0', [ev()])).toEqual([{ status: 'wrong_expected_revision', next_revision: '2', commit_id: null, prepare_pos: null }]);
    expect(await append(s, 'no_stream', [ev()])).toMatchObject([{ status: 'wrong_expected_revision', next_revision: '2' }]);
    expect(await append(`g-a1-missing-${randomUUID()}`, 'stream_exists', [ev()])).toEqual([{ status: 'wrong_expected_revision', next_revision: null, commit_id: null, prepare_pos: null }]);
    expect(await append(s, 'stream_exists', [ev()])).toMatchObject([{ status: 'ok', next_revision: '3' }]);
    expect(await append(s, 'any', [ev()])).toMatchObject([{ status: 'ok', next_revision: '4' }]);
    expect(await append(`g-a1-any-${randomUUID()}`, 'any', [ev()])).toMatchObject([{ status: 'ok', next_revision: '0' }]);

    // The same append again (same ids), whatever its expected revision: the original's answer.
    expect(await append(s, 'no_stream', first)).toEqual([{ ...created[0]!, next_revision: '1' }]);
    // Some ids used, or used in another stream: refused.
    expect(await append(s, '4', [first[0]!, ev()])).toMatchObject([{ status: 'duplicate_id' }]);
    expect(await append(other, 'no_stream', first)).toMatchObject([{ status: 'duplicate_id' }]);

    const { rows } = await db.pool.query<{ revision: string }>('select revision::text from es.events where stream = $1 order by revision', [s]);
    expect(rows.map((r) => r.revision)).toEqual(['0', '1', '2', '3', '4']);
    const { rows: st } = await db.pool.query<{ revision: string }>('select revision::text from es.streams where stream = $1', [s]);
    expect(st).toEqual([{ revision: '4' }]);
    // A refused append left nothing behind (append_one writes first and undoes on a taken id).
    const { rows: left } = await db.pool.query('select 1 from es.streams where stream = $1 union all select 1 from es.events where stream = $1', [other]);
    expect(left).toEqual([]);
  });

  it.each(['append_one', 'append_batch', 'append_one_quiet', 'append_batch_quiet'] as const)('%s: a stream created meanwhile by another transaction answers retry', async (fn) => {
    const s = `g-a1-race-${randomUUID()}`;
    const a = await db.pool.connect();
    const b = await db.pool.connect();
    try {
      await a.query('begin');
      await a.query('select * from es.append_one($1, $2, $3::jsonb)', [s, 'no_stream', JSON.stringify([ev()])]);
      const sql = fn.startsWith('append_one') ? `select status from es.${fn}($1, $2, $3::jsonb)` : `select status from es.${fn}(jsonb_build_array(jsonb_build_object('s', $1::text, 'x', $2::text, 'e', $3::jsonb)))`;
      const bPid = (await b.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const pending = b.query<{ status: string }>(sql, [s, 'any', JSON.stringify([ev()])]);
      // B waits on A's uncommitted stream row before A commits.
      for (let waiting = false; !waiting; ) {
        const { rows } = await db.pool.query<{ w: boolean }>("select exists (select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock') as w", [bPid]);
        waiting = rows[0]!.w;
      }
      await a.query('commit');
      expect((await pending).rows).toEqual([{ status: 'retry' }]);
    } finally {
      a.release();
      b.release();
    }
  });

  it('append_one: an id written by a transaction still in flight is waited for, then answers duplicate_id (no unique violation)', async () => {
    const id = randomUUID();
    const a = await db.pool.connect();
    const b = await db.pool.connect();
    try {
      await a.query('begin');
      await a.query('select * from es.append_one($1, $2, $3::jsonb)', [`g-a1-held-${randomUUID()}`, 'no_stream', JSON.stringify([ev(id)])]);
      const bPid = (await b.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const s = `g-a1-second-${randomUUID()}`;
      const pending = b.query<Row>('select status, next_revision::text, commit_id::text, prepare_pos::text from es.append_one($1, $2, $3::jsonb)', [s, 'no_stream', JSON.stringify([ev(id)])]);
      for (let waiting = false; !waiting; ) {
        const { rows } = await db.pool.query<{ w: boolean }>("select exists (select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock') as w", [bPid]);
        waiting = rows[0]!.w;
      }
      await a.query('commit');
      expect((await pending).rows).toMatchObject([{ status: 'duplicate_id' }]);
      const { rows } = await db.pool.query('select 1 from es.streams where stream = $1', [s]);
      expect(rows).toEqual([]);
    } finally {
      a.release();
      b.release();
    }
  });
});
