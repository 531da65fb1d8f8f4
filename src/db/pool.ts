import pg from 'pg';
import { applicationName } from './application-name.js';

// int8 (bigint) columns come back as strings by default; we convert explicitly where read.

export interface PoolOptions {
  max?: number;
  /** What the sessions are for; host and pid are appended (src/db/application-name.ts). */
  applicationName?: string;
  /** Called when an idle pooled connection fails (the next query gets a fresh one). */
  onError?: (err: Error) => void;
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: applicationName(opts.applicationName ?? 'facetrail'),
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process.
  pool.on('error', (err) => opts.onError?.(err));
  return pool;
}
