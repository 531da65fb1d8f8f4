import path from 'node:path';
import { createPool } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import { loadConfig, type Config } from '../src/config.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/database.js';

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A benchmark database's name: BENCH_DATABASE_PREFIX (default `facetrail_bench_`) + `suffix`. */
export function benchDatabaseName(suffix: string): string {
  return `${process.env.BENCH_DATABASE_PREFIX ?? 'facetrail_bench_'}${suffix}`;
}

/** A freshly created, migrated database for one benchmark run (dropped by `drop`). */
export async function benchDatabase(name: string) {
  await dropDatabase(name, ADMIN_URL); // left by an interrupted run
  await createDatabase(name, ADMIN_URL);
  const url = databaseUrl(name, ADMIN_URL);
  const pool = createPool(url, { max: 40 });
  await migrate(pool);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(name, ADMIN_URL);
    },
  };
}

/**
 * The config of an in-process benchmark app: its database and Redis key prefix, a development
 * signing key in `keyFile` (and a development KEK beside it), silent logs, and a per-IP limit no benchmark reaches; `env` adds to it.
 */
export function benchConfig(databaseUrl: string, redisKeyPrefix: string, keyFile: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    JWT_DEV_KEY_FILE: keyFile,
    PRIVACY_DEV_KEK_FILE: path.join(path.dirname(keyFile), 'kek-dev.json'),
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    ...env,
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
