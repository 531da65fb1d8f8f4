// Shared by the projections:* commands: the database, the event store (checked against the store
// kind that wrote rm.checkpoints, as the server roles do) and the selection of projections by name.

import type pg from 'pg';
import { loadConfig, type Config } from '../config.js';
import { assertReachable } from '../db/connection-error.js';
import { createPool } from '../db/pool.js';
import { claimCheckpoints } from '../checkpoints/checkpoint-source.js';
import { describeEventStore } from '../eventstore/create-event-store.js';
import { openEventStore } from './open-event-store.js';
import type { EventStore } from '../eventstore/types.js';
import { projections } from '../projections/index.js';
import type { Projection } from '../projections/projection.js';
import { rebuildable } from '../projections/rebuild.js';
import { UsageError } from './command.js';

export interface CliContext {
  pool: pg.Pool;
  store: EventStore;
  /** Results (stdout). */
  out: (line: string) => void;
  /** Diagnostics and progress (stderr). */
  err: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
}

/** A pool on DATABASE_URL that has answered a first query (else PostgresUnreachableError naming the server). */
export async function openCliPool(config: Config, max: number): Promise<pg.Pool> {
  const pool = createPool(config.databaseUrl, { max, applicationName: 'facetrail-cli-projections' });
  try {
    await assertReachable(pool, config.databaseUrl);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return pool;
}

/** Runs `body` over a pool only (no event store), then closes it. */
export async function withCliPool(body: (ctx: Omit<CliContext, 'store'>) => Promise<number>): Promise<number> {
  const pool = await openCliPool(loadConfig(), 2);
  try {
    return await body({ pool, out: (l) => console.log(l), err: (l) => console.error(l) });
  } finally {
    await pool.end();
  }
}

/** Builds the context from the configuration, runs `body`, closes everything. */
export async function withCliContext(body: (ctx: CliContext) => Promise<number>): Promise<number> {
  const config = loadConfig();
  const pool = await openCliPool(config, 12);
  // One store per database, as the server roles check it: refuse checkpoints of the other store
  // kind before anything reads or writes them (or the store is even opened).
  try {
    await claimCheckpoints(pool, describeEventStore(config.eventStoreUrl));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  let opened: Awaited<ReturnType<typeof openEventStore>>;
  try {
    opened = await openEventStore(config, pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  try {
    return await body({ pool, store: opened.store, out: (l) => console.log(l), err: (l) => console.error(l) });
  } finally {
    await opened.close();
    await pool.end();
  }
}

/** `all` or one projection name; UsageError when unknown. */
export function selectProjections(name: string | undefined): Projection[] {
  const known = projections.filter(rebuildable);
  if (name === 'all') return known;
  const found = known.find((p) => p.name === name);
  if (!found) throw new UsageError(`expected a projection name or 'all' (known: ${known.map((p) => p.name).join(', ')})${name ? `, got '${name}'` : ''}`);
  return [found];
}

/** --batch-size: undefined (the default) or a positive integer. */
export function batchSizeOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`--batch-size must be a positive integer (got '${value}')`);
  return n;
}

/** The names selectProjections knows, for the usage texts. */
export function projectionNames(): string {
  return projections.filter(rebuildable).map((p) => p.name).join(', ');
}
