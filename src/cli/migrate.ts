// `facetrail migrate` (`npm run migrate`): creates the database if missing and applies pending migrations.

import { loadConfig } from '../config.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import type { CommandOptions } from './command.js';

export const summary = 'create the database if missing and apply pending schema migrations';
export const usage = [
  'usage: facetrail migrate',
  '',
  'Creates the database of DATABASE_URL if it does not exist and applies the pending schema',
  'migrations (the server does the same at start). Prints what it applied.',
].join('\n');
export const options = {} satisfies CommandOptions;

export async function run(_args: string[]): Promise<number> {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { max: 1, applicationName: 'facetrail-cli-migrate' });
  try {
    const applied = await migrate(pool);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return 0;
  } finally {
    await pool.end();
  }
}
