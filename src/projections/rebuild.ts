// Rebuilds and verification of read models (ARCHITECTURE.md, "Rebuilds and verification").
//
// A rebuild replays the log into fresh tables in a scratch schema, in large batches with the
// checkpoint kept in memory, then swaps them in: one transaction locks the live tables (waiting
// for a live runner's batch in flight and blocking its next one), reads the live checkpoint,
// applies the events up to it to the scratch tables, moves the live tables out and the scratch
// ones into `rm`. The live checkpoint stays, so the runner carries on from where the tables are.
// Readers keep querying the old tables until the commit, then see the new ones.

import pg from 'pg';
import { comparePositions, positionToCursor, type Position } from '../eventstore/position.js';
import type { EventStore, RecordedEvent } from '../eventstore/types.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoints/checkpoints.js';
import type { Projection, TableSpec } from './projection.js';
import { enterSchema, LIVE_SCHEMA, LOCK_CLASS } from './runner.js';

/** Advisory lock class that keeps two rebuilds from sharing one scratch schema. */
const REBUILD_LOCK_CLASS = 0x66747262; // 'ftrb'

export interface RebuildDeps {
  pool: pg.Pool;
  store: EventStore;
  /** Called after every applied batch (progress display). */
  onProgress?: (projection: string, update: { applied: number; position: Position }) => void;
  /** Human-readable notes (phase changes). */
  log?: (message: string) => void;
}

export interface ReplayOptions {
  /** Events per transaction. */
  batchSize?: number;
  /** How long the swap waits for the live tables' locks before it backs off and retries. */
  lockTimeoutMs?: number;
}

export interface RebuildResult {
  projection: string;
  schema: string;
  /** Events applied to the scratch tables (replay and catch-up). */
  applied: number;
  /** Position the rebuilt tables are at (undefined: empty log). */
  position: Position | undefined;
  swapped: boolean;
  seconds: number;
}

const DEFAULT_BATCH = 5_000;

export function rebuildable(projection: Projection): projection is Projection & { tables: NonNullable<Projection['tables']> } {
  return projection.tables !== undefined;
}

/** The scratch schema of `--to <cursor>`: named for the cursor, kept for auditors. */
export function schemaAt(position: Position): string {
  return `rm_at_${position.commit}_${position.prepare}`;
}

const q = (s: string) => pg.escapeIdentifier(s);
const qualified = (schema: string, table: string) => `${q(schema)}.${q(table)}`;

/**
 * Replays every event (after the optional `from`, up to the optional `to`, inclusive) into the
 * projection's tables in `schema`, `batchSize` events per transaction, fetching the next batch
 * while the current one is applied. Uses `client` for the writes; `inTransaction` means the
 * caller's open transaction is used as it is (no begin/commit per batch).
 */
async function replay(
  deps: RebuildDeps,
  client: pg.ClientBase,
  projection: Projection,
  schema: string,
  range: { from: Position | undefined; to: Position | undefined },
  opts: { batchSize: number; inTransaction: boolean },
): Promise<number> {
  const { from, to } = range;
  async function* batches(): AsyncGenerator<RecordedEvent[]> {
    let batch: RecordedEvent[] = [];
    // The bound goes to the store: a filtered read stops there instead of scanning on to the head
    // (under the swap's ACCESS EXCLUSIVE locks, events of other streams appended meanwhile).
    for await (const event of deps.store.readAll({ ...(from ? { from } : {}), ...(to ? { to } : {}), filter: projection.filter })) {
      if (to && comparePositions(event.position, to) > 0) break;
      batch.push(event);
      if (batch.length >= opts.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  const context = { localData: deps.store.localData, dataKeys: deps.store.dataKeys };
  let applied = 0;
  const it = batches();
  let next = it.next();
  for (;;) {
    const result = await next;
    if (result.done) break;
    next = it.next(); // read the next batch while this one is applied
    const events = result.value;
    if (opts.inTransaction) {
      await enterSchema(client, projection, schema);
      await projection.apply(client, events, context);
    } else {
      await client.query('begin');
      try {
        // Scratch tables: a crash loses the rebuild anyway, so there is no point waiting for the WAL flush.
        await client.query('set local synchronous_commit to off');
        await enterSchema(client, projection, schema);
        await projection.apply(client, events, context);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        await it.return(undefined).catch(() => undefined);
        throw err;
      }
    }
    applied += events.length;
    deps.onProgress?.(projection.name, { applied: events.length, position: events.at(-1)!.position });
  }
  return applied;
}

/** Creates `schema` if needed and (re)creates the projection's tables in it, empty. */
async function freshTables(db: pg.ClientBase, projection: Projection, schema: string): Promise<void> {
  const spec = projection.tables!;
  await db.query(`create schema if not exists ${q(schema)}`).catch((err: { code?: string }) => {
    // Several projections of one `--to` rebuild create their shared schema at the same time.
    if (err.code !== '23505' && err.code !== '42P06') throw err;
  });
  for (const t of [...spec.tables].reverse()) await db.query(`drop table if exists ${qualified(schema, t.name)} cascade`);
  await db.query(spec.createTables(q(schema)));
}

async function finishTables(db: pg.ClientBase, projection: Projection, schema: string): Promise<void> {
  const spec = projection.tables!;
  const ddl = spec.createIndexes(q(schema));
  if (ddl.trim() !== '') await db.query(ddl);
  for (const t of spec.tables) await db.query(`analyze ${qualified(schema, t.name)}`);
}

async function withRebuildLock<T>(pool: pg.Pool, key: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [REBUILD_LOCK_CLASS, key]);
    if (!rows[0]?.ok) throw new Error(`another rebuild is using ${key}`);
    try {
      return await body(client);
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [REBUILD_LOCK_CLASS, key]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * Replays into `schema` until the scratch tables are close to the live checkpoint (or the log
 * head when the projection has never run). Never goes past the live checkpoint: the swap can then
 * always bring the scratch tables exactly to it.
 */
async function catchUpToLive(deps: RebuildDeps, client: pg.ClientBase, projection: Projection, schema: string, batchSize: number) {
  let covered: Position | undefined;
  let applied = 0;
  for (;;) {
    const target = (await readCheckpoint(deps.pool, projection.name)) ?? (await deps.store.headPosition());
    if (!target || (covered && comparePositions(target, covered) <= 0)) break;
    const n = await replay(deps, client, projection, schema, { from: covered, to: target }, { batchSize, inTransaction: false });
    applied += n;
    covered = target;
    if (n < batchSize) break; // little left: the swap applies the rest under the locks
  }
  return { covered, applied };
}

/** Rebuilds one projection and swaps the fresh tables in. */
export async function rebuildAndSwap(deps: RebuildDeps, projection: Projection, opts: ReplayOptions = {}): Promise<RebuildResult> {
  if (!rebuildable(projection)) throw new Error(`projection '${projection.name}' has no tables to rebuild`);
  const started = performance.now();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const schema = `rm_rebuild_${projection.name}`;
  return withRebuildLock(deps.pool, schema, async (client) => {
    await freshTables(client, projection, schema);
    let { covered, applied } = await catchUpToLive(deps, client, projection, schema, batchSize);
    deps.log?.(`${projection.name}: replayed ${applied} events; creating indexes`);
    await finishTables(client, projection, schema);
    for (let attempt = 1; ; attempt++) {
      try {
        const swap = await swapIn(deps, client, projection, schema, covered, { batchSize, lockTimeoutMs: opts.lockTimeoutMs ?? 5_000 });
        applied += swap.applied;
        return { projection: projection.name, schema: LIVE_SCHEMA, applied, position: swap.position, swapped: true, seconds: (performance.now() - started) / 1000 };
      } catch (err) {
        if ((err as { code?: string }).code !== '55P03' || attempt >= 5) throw err;
        deps.log?.(`${projection.name}: the live tables stayed busy for ${opts.lockTimeoutMs ?? 5_000} ms; catching up and retrying the swap`);
        // Anything the live runner applied meanwhile is replayed outside the locks first.
        const more = await catchUpFrom(deps, client, projection, schema, covered, batchSize);
        covered = more.covered;
        applied += more.applied;
      }
    }
  });
}

async function catchUpFrom(deps: RebuildDeps, client: pg.ClientBase, projection: Projection, schema: string, from: Position | undefined, batchSize: number) {
  const target = await readCheckpoint(deps.pool, projection.name);
  if (!target || (from && comparePositions(target, from) <= 0)) return { covered: from, applied: 0 };
  const applied = await replay(deps, client, projection, schema, { from, to: target }, { batchSize, inTransaction: false });
  return { covered: target, applied };
}

async function swapIn(
  deps: RebuildDeps,
  client: pg.ClientBase,
  projection: Projection,
  schema: string,
  covered: Position | undefined,
  opts: { batchSize: number; lockTimeoutMs: number },
): Promise<{ applied: number; position: Position | undefined }> {
  const tables = projection.tables!.tables;
  const retired = `rm_retired_${projection.name}`;
  await client.query('begin');
  try {
    await client.query(`set local lock_timeout to ${Math.max(1, Math.round(opts.lockTimeoutMs))}`);
    // Same order as the runner's row exclusive locks: no deadlock with a batch in flight.
    await client.query(`lock table ${tables.map((t) => qualified(LIVE_SCHEMA, t.name)).join(', ')} in access exclusive mode`);
    const { rows } = await client.query<{ free: boolean }>('select pg_try_advisory_xact_lock($1, hashtext($2)) as free', [LOCK_CLASS, projection.name]);
    const runnerIdle = rows[0]?.free === true;
    const live = await readCheckpoint(client, projection.name);
    let applied = 0;
    let position = covered;
    if (live && (!covered || comparePositions(covered, live) <= 0)) {
      applied = await replay(deps, client, projection, schema, { from: covered, to: live }, { batchSize: opts.batchSize, inTransaction: true });
      position = live;
    } else if (covered) {
      // The tables are ahead of the stored checkpoint (the projection never ran, or its runner is
      // down): only safe when no runner holds the projection, which then starts from here.
      if (!runnerIdle) throw new Error(`the live runner of '${projection.name}' is behind the rebuilt tables; run the rebuild again`);
      await writeCheckpoint(client, projection.name, covered, 0);
    }
    await client.query(`drop schema if exists ${q(retired)} cascade`);
    await client.query(`create schema ${q(retired)}`);
    for (const t of tables) await client.query(`alter table ${qualified(LIVE_SCHEMA, t.name)} set schema ${q(retired)}`);
    for (const t of tables) await client.query(`alter table ${qualified(schema, t.name)} set schema ${q(LIVE_SCHEMA)}`);
    await client.query(`drop schema ${q(retired)} cascade`);
    await client.query(`drop schema ${q(schema)} cascade`);
    await client.query('commit');
    return { applied, position };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** Replays up to `to` (inclusive) into the schema named for it; no swap. */
export async function rebuildAt(deps: RebuildDeps, projection: Projection, to: Position, opts: ReplayOptions = {}): Promise<RebuildResult> {
  if (!rebuildable(projection)) throw new Error(`projection '${projection.name}' has no tables to rebuild`);
  const started = performance.now();
  const schema = schemaAt(to);
  return withRebuildLock(deps.pool, `${schema}/${projection.name}`, async (client) => {
    await freshTables(client, projection, schema);
    const applied = await replay(deps, client, projection, schema, { from: undefined, to }, { batchSize: opts.batchSize ?? DEFAULT_BATCH, inTransaction: false });
    await finishTables(client, projection, schema);
    return { projection: projection.name, schema, applied, position: to, swapped: false, seconds: (performance.now() - started) / 1000 };
  });
}

export interface TableComparison {
  table: string;
  live: { rows: number; hash: string };
  rebuilt: { rows: number; hash: string };
  ok: boolean;
  /** The first differing rows (by primary key), when not ok. */
  differences: { key: string; live: string | null; rebuilt: string | null }[];
}

export interface VerifyResult {
  projection: string;
  /** The position both sides were compared at. */
  position: Position | undefined;
  tables: TableComparison[];
  ok: boolean;
}

/**
 * Rebuilds the projection into scratch tables and compares them with the live ones at the same
 * position: one repeatable-read transaction reads the live checkpoint and the live tables from
 * the same snapshot (the runner commits both together), and brings the scratch tables to that
 * checkpoint first. The live projection keeps running; nothing is locked.
 */
export async function verifyProjection(deps: RebuildDeps, projection: Projection, opts: ReplayOptions & { maxDifferences?: number } = {}): Promise<VerifyResult> {
  if (!rebuildable(projection)) throw new Error(`projection '${projection.name}' has no tables to verify`);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const schema = `rm_verify_${projection.name}`;
  return withRebuildLock(deps.pool, schema, async (client) => {
    try {
      await freshTables(client, projection, schema);
      const { covered } = await catchUpToLive(deps, client, projection, schema, batchSize);
      await client.query('begin isolation level repeatable read');
      try {
        const live = await readCheckpoint(client, projection.name); // takes the snapshot
        let position = covered;
        if (live && (!covered || comparePositions(covered, live) < 0)) {
          await replay(deps, client, projection, schema, { from: covered, to: live }, { batchSize, inTransaction: true });
          position = live;
        }
        await client.query('set local search_path to public');
        const tables: TableComparison[] = [];
        for (const spec of projection.tables.tables) tables.push(await compareTable(client, spec, schema, opts.maxDifferences ?? 5));
        await client.query('commit');
        return { projection: projection.name, position, tables, ok: tables.every((t) => t.ok) };
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    } finally {
      await client.query(`drop schema if exists ${q(schema)} cascade`).catch(() => undefined);
    }
  });
}

/**
 * Row count and an order-independent content hash: the sum of the first 64 bits of each row's
 * md5 (a string_agg of every row would exceed PostgreSQL's 1 GB value limit on large tables).
 */
async function compareTable(client: pg.ClientBase, spec: TableSpec, scratch: string, maxDifferences: number): Promise<TableComparison> {
  const { rows: colRows } = await client.query<{ name: string }>(
    `select column_name as name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
    [LIVE_SCHEMA, spec.name],
  );
  const excluded = new Set(spec.excludeColumns ?? []);
  const cols = colRows.map((r) => r.name).filter((c) => !excluded.has(c));
  const rowText = `row(${cols.map(q).join(', ')})::text`;
  const keyText = `row(${spec.key.map(q).join(', ')})::text`;
  const where = spec.compareWhere ? `where ${spec.compareWhere}` : '';
  const summary = async (schema: string) => {
    const { rows } = await client.query<{ n: string; h: string }>(
      `select count(*)::text as n, coalesce(sum(('x' || substr(md5(${rowText}), 1, 16))::bit(64)::bigint::numeric), 0)::text as h
         from ${qualified(schema, spec.name)} ${where}`,
    );
    return { rows: Number(rows[0]!.n), hash: rows[0]!.h };
  };
  const live = await summary(LIVE_SCHEMA);
  const rebuilt = await summary(scratch);
  const ok = live.rows === rebuilt.rows && live.hash === rebuilt.hash;
  let differences: TableComparison['differences'] = [];
  if (!ok) {
    const side = (schema: string) => `select ${keyText} as k, ${rowText} as t from ${qualified(schema, spec.name)} ${where}`;
    const { rows } = await client.query<{ key: string; live: string | null; rebuilt: string | null }>(
      `select coalesce(l.k, r.k) as key, l.t as live, r.t as rebuilt
         from (${side(LIVE_SCHEMA)}) l full join (${side(scratch)}) r on l.k = r.k
        where l.t is distinct from r.t
        order by 1 limit ${Math.max(1, Math.floor(maxDifferences))}`,
    );
    differences = rows;
  }
  return { table: `${LIVE_SCHEMA}.${spec.name}`, live, rebuilt, ok, differences };
}

export function describePosition(p: Position | undefined): string {
  return p ? positionToCursor(p) : 'start';
}
