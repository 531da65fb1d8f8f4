import pg from 'pg';
import { describeConnectionError } from './connection-error.js';

/**
 * Creates the database named in `url` if it does not exist, connecting to the server's
 * `postgres` maintenance database to do so. Safe when several processes race to create it.
 * A server that cannot be reached is a PostgresUnreachableError naming it (src/db/connection-error.ts).
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw describeConnectionError(err, url); // invalid_catalog_name = missing database
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(err, url);
  }
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // duplicate_database: another process won
  } finally {
    await client.end();
  }
}
