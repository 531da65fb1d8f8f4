// Every integration test file gets its own, freshly created PostgreSQL database, dropped at the end
// (and the benchmarks theirs, through the same create and drop).

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs one statement on the server's admin database (CREATE / DROP DATABASE cannot run in the database itself). */
async function onAdmin(sql: string, adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** The URL of database `name` on the admin URL's server. */
export function databaseUrl(name: string, adminUrl = ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export const createDatabase = (name: string, adminUrl = ADMIN_URL) => onAdmin(`create database ${pg.escapeIdentifier(name)}`, adminUrl);
export const dropDatabase = (name: string, adminUrl = ADMIN_URL) => onAdmin(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`, adminUrl);

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `ft_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await createDatabase(name);
  const url = databaseUrl(name);
  const pool = createPool(url, { max: 20, applicationName: `test-${label}` });
  if (opts.migrate !== false) await migrate(pool);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(name);
    },
  };
}

/** Number of events in the PostgreSQL event store (exact; unlike headPosition(), not held back by the gap-safe horizon). */
export async function eventCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('select count(*)::text as n from es.events');
  return Number(rows[0]!.n);
}

/**
 * Position of the newest event written, visible to readers or not yet (headPosition() only
 * reports what is below the gap-safe horizon, which open transactions anywhere in the cluster
 * hold back). Waiting for a consumer to pass it means waiting for everything written so far.
 */
export async function latestWrittenPosition(pool: pg.Pool): Promise<{ commit: bigint; prepare: bigint }> {
  const { rows } = await pool.query<{ tx: string; gp: string }>(
    'select transaction_id::text as tx, global_position::text as gp from es.events order by transaction_id desc, global_position desc limit 1',
  );
  const row = rows[0];
  if (!row) throw new Error('the event store is empty');
  return { commit: BigInt(row.tx), prepare: BigInt(row.gp) };
}
