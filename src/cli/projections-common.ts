// Shared by the projections:* commands: the database, the event store (checked against the store
// kind that wrote rm.checkpoints, as the server roles do) and the selection of projections by name.

import type pg from 'pg';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { claimCheckpoints } from '../checkpoints/checkpoint-source.js';
import { describeEventStore } from '../eventstore/create-event-store.js';
import { openEventStore } from './open-event-store.js';
import type { EventStore } from '../eventstore/types.js';
import { projections } from '../projections/index.js';
import type { Projection } from '../projections/projection.js';
import { rebuildable } from '../projections/rebuild.js';

export interface CliContext {
  pool: pg.Pool;
  store: EventStore;
  /** Results (stdout). */
  out: (line: string) => void;
  /** Diagnostics and progress (stderr). */
  err: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
}

/** Builds the context from the configuration, runs `body`, closes everything. */
export async function withCliContext(body: (ctx: CliContext) => Promise<number>): Promise<number> {
  const config = loadConfig();
  const pool = createPool(config.databaseUrl, { max: 12, applicationName: 'facetrail-cli-projections' });
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

/** `all` or one projection name; undefined (after printing why) when unknown. */
export function selectProjections(name: string | undefined, ctx: CliContext, command: string): Projection[] | undefined {
  const known = projections.filter(rebuildable);
  if (name === 'all') return known;
  const found = known.find((p) => p.name === name);
  if (!found) {
    ctx.err(`${command}: expected a projection name or 'all' (known: ${known.map((p) => p.name).join(', ')})${name ? `, got '${name}'` : ''}`);
    return undefined;
  }
  return [found];
}
