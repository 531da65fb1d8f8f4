// Retention of the biometric access log (issue 16 item 6; EU AI Act Art. 19(1), 26(6): at least
// six months): a maintenance task that expires every day of access records older than
// ACCESS_LOG_RETENTION_DAYS — shreds the day's `access_log` key and records AccessRecordsExpired
// (src/commands/access/expire-access-day.ts); the access-records projection then deletes the day's
// rows. Which days still have records comes from rm.access_records (a day leaves it once expired).
// One run at a time across every process (an advisory lock), and each step is idempotent per day.

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { expireAccessDay } from '../../commands/access/expire-access-day.js';
import { systemActor } from '../../commands/context.js';
import type { EventStore } from '../../eventstore/types.js';
import type { KeyStore } from '../../privacy/key-store.js';
import type { MaintenanceTask } from '../worker-role.js';

export const ACCESS_LOG_RETENTION_TASK = 'access-log-retention';
const LOCK = 'facetrail:access-log-retention';
const DAY_MS = 86_400_000;

export interface AccessLogRetentionDeps {
  pool: pg.Pool;
  store: EventStore;
  keys: Pick<KeyStore, 'shred'>;
  /** ACCESS_LOG_RETENTION_DAYS. */
  retentionDays: number;
  now?: () => Date;
}

/** The first day still kept: days before it are expired. */
export function firstKeptDay(now: Date, retentionDays: number): string {
  return new Date(now.getTime() - retentionDays * DAY_MS).toISOString().slice(0, 10);
}

export async function runAccessLogRetention(deps: AccessLogRetentionDeps, log?: Logger): Promise<{ skipped: number; expired: number; keys: number }> {
  const out = { skipped: 0, expired: 0, keys: 0 };
  const cutoff = firstKeptDay((deps.now ?? (() => new Date()))(), deps.retentionDays);
  const client = await deps.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [LOCK]);
    if (!rows[0]?.locked) {
      out.skipped = 1;
      return out;
    }
    try {
      const days = await client.query<{ day: string }>("select distinct to_char(day, 'YYYY-MM-DD') as day from rm.access_records where day < $1::date order by 1", [cutoff]);
      const ctx = { actor: systemActor(ACCESS_LOG_RETENTION_TASK), correlationId: randomUUID() };
      for (const { day } of days.rows) {
        const { shreddedKeys } = await expireAccessDay({ store: deps.store, keys: deps.keys }, day, deps.retentionDays, ctx);
        out.expired++;
        out.keys += shreddedKeys.length;
        log?.info({ day, shreddedKeys, retentionDays: deps.retentionDays }, 'access records past retention: day key shredded');
      }
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [LOCK]);
    }
    return out;
  } finally {
    client.release();
  }
}

/** The maintenance task over its own dependencies (src/workers/maintenance.ts adds it where the key store is). */
export function accessLogRetentionTask(deps: AccessLogRetentionDeps): MaintenanceTask {
  return { name: ACCESS_LOG_RETENTION_TASK, run: (_maintenance, log) => runAccessLogRetention(deps, log) };
}
