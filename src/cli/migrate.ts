// `npm run migrate`: creates the database if missing and applies pending migrations.

import { loadConfig } from '../config.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';

export const summary = 'create the database if missing and apply pending schema migrations';

export async function run(_args: string[]): Promise<number> {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { max: 1 });
  try {
    const applied = await migrate(pool);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return 0;
  } finally {
    await pool.end();
  }
}
