// `projections:status`: every consumer of the log (projections, job bridge) with its checkpoint,
// lag, and the session holding its runner lock. PostgreSQL event store only: the lag is counted
// in SQL on the stored events (EventStore.localData).

import type pg from 'pg';
import type { LocalEventData } from '../eventstore/types.js';
import { consumers } from './index.js';
import { LOCK_CLASS } from './runner.js';

export interface ConsumerStatus {
  consumer: string;
  cursor: string;
  eventsApplied: number;
  updatedAt: Date;
  /**
   * Events in the log after the checkpoint, in streams the consumer reads when it is a known
   * projection (any stream otherwise), counted up to LAG_COUNT_CAP (then reported as `capped`).
   */
  lagEvents: number;
  lagCapped: boolean;
  /** now − recordedAt of the first such event; 0 when caught up. */
  lagSeconds: number;
  /** The session holding the runner's advisory lock, if any. */
  holder: { pid: number; application: string; client: string | null; since: Date | null } | undefined;
}

export const LAG_COUNT_CAP = 1_000_000;

export async function projectionStatus(pool: pg.Pool, localData: LocalEventData): Promise<ConsumerStatus[]> {
  const { rows } = await pool.query<{ consumer: string; c: string; p: string; applied: string; updated_at: Date }>(
    'select consumer, commit_pos::text as c, prepare_pos::text as p, events_applied::text as applied, updated_at from rm.checkpoints order by consumer',
  );
  const out: ConsumerStatus[] = [];
  for (const row of rows) {
    const prefixes = consumers.find((c) => c.name === row.consumer)?.filter.streamPrefixes;
    const lag = await localData.eventsAfter(pool, { commit: BigInt(row.c), prepare: BigInt(row.p) }, prefixes, LAG_COUNT_CAP);
    const n = lag.count;
    const firstAt = lag.firstRecordedAt;
    const { rows: holders } = await pool.query<{ pid: number; application: string; client: string | null; since: Date | null }>(
      `select a.pid, a.application_name as application, a.client_addr::text as client, a.backend_start as since
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.classid = $1::bigint::oid and l.objid = hashtext($2)::oid and l.objsubid = 2
          and l.database = (select oid from pg_database where datname = current_database())`,
      [LOCK_CLASS, row.consumer],
    );
    out.push({
      consumer: row.consumer,
      cursor: `${row.c}-${row.p}`,
      eventsApplied: Number(row.applied),
      updatedAt: row.updated_at,
      lagEvents: Math.min(n, LAG_COUNT_CAP),
      lagCapped: n > LAG_COUNT_CAP,
      lagSeconds: firstAt ? Math.max(0, (Date.now() - firstAt.getTime()) / 1000) : 0,
      holder: holders[0],
    });
  }
  return out;
}
