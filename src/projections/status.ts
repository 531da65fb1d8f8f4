// `projections:status`: every consumer of the log (projections, job bridge) with its checkpoint,
// lag, and the session holding its runner lock. The lag is counted in SQL on the stored events
// when the log is in this database (EventStore.localData, the PostgreSQL store), and otherwise
// (EventStoreDB) read through the port: the events after the checkpoint up to the head noted at
// the start, at most PORT_LAG_COUNT_CAP + 1 of them scanned, those of the consumer's streams counted.

import type pg from 'pg';
import { parseApplicationName, type ApplicationProcess } from '../db/application-name.js';
import type { Position } from '../eventstore/position.js';
import type { EventStore } from '../eventstore/types.js';
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
  /** The cap the count stopped at (LAG_COUNT_CAP in SQL, PORT_LAG_COUNT_CAP through the port). */
  lagCap: number;
  /** now − recordedAt of the first such event; 0 when caught up. */
  lagSeconds: number;
  /** The session holding the runner's advisory lock, if any. */
  holder: LockHolder | undefined;
}

export interface LockHolder {
  /** The application process (host and pid) when its application_name says so (src/db/application-name.ts). */
  process: ApplicationProcess | undefined;
  /** The session's application_name as PostgreSQL has it. */
  application: string;
  /** The PostgreSQL backend's pid (pg_terminate_backend takes it), not the application's. */
  backendPid: number;
  /** The client address; null over a Unix socket. */
  client: string | null;
  since: Date | null;
}

export const LAG_COUNT_CAP = 1_000_000;
/** Through the port each counted event is read and parsed: a scrape must stay cheap. */
export const PORT_LAG_COUNT_CAP = 10_000;

/** `capped`: the count stopped at the cap (a lower bound); when absent, a count above the cap means so. */
type LagCounter = (after: Position, prefixes: readonly string[] | undefined) => Promise<{ count: number; firstRecordedAt: Date | undefined; capped?: boolean }>;

/** How the lag is counted on this store, and up to which cap. */
async function lagCounter(pool: pg.Pool, store: EventStore): Promise<{ count: LagCounter; cap: number }> {
  const local = store.localData;
  if (local) return { count: (after, prefixes) => local.eventsAfter(pool, after, prefixes, LAG_COUNT_CAP), cap: LAG_COUNT_CAP };
  const head = await store.headPosition();
  const count: LagCounter = async (after, prefixes) => {
    let n = 0;
    let scanned = 0;
    let firstRecordedAt: Date | undefined;
    if (!head) return { count: 0, firstRecordedAt };
    // Unfiltered and filtered here: EventStoreDB's client filters $all on the client, and its
    // maxCount counts matches, so a filtered read would scan to the head whatever the cap. This
    // scans at most the cap + 1 events; past it the count is reported capped (a lower bound).
    for await (const event of store.readAll({ from: after, to: head, maxCount: PORT_LAG_COUNT_CAP + 1 })) {
      scanned++;
      if (prefixes && prefixes.length > 0 && !prefixes.some((p) => event.stream.startsWith(p))) continue;
      firstRecordedAt ??= event.recordedAt;
      n++;
    }
    return { count: Math.min(n, PORT_LAG_COUNT_CAP), firstRecordedAt, capped: scanned > PORT_LAG_COUNT_CAP };
  };
  return { count, cap: PORT_LAG_COUNT_CAP };
}

export async function projectionStatus(pool: pg.Pool, store: EventStore): Promise<ConsumerStatus[]> {
  const { rows } = await pool.query<{ consumer: string; c: string; p: string; applied: string; updated_at: Date }>(
    'select consumer, commit_pos::text as c, prepare_pos::text as p, events_applied::text as applied, updated_at from rm.checkpoints order by consumer',
  );
  const out: ConsumerStatus[] = [];
  const counter = rows.length > 0 ? await lagCounter(pool, store) : undefined;
  for (const row of rows) {
    const prefixes = consumers.find((c) => c.name === row.consumer)?.filter.streamPrefixes;
    const lag = await counter!.count({ commit: BigInt(row.c), prepare: BigInt(row.p) }, prefixes);
    const cap = counter!.cap;
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
      lagEvents: Math.min(n, cap),
      lagCapped: lag.capped ?? n > cap,
      lagCap: cap,
      lagSeconds: firstAt ? Math.max(0, (Date.now() - firstAt.getTime()) / 1000) : 0,
      holder: holders[0] && { process: parseApplicationName(holders[0].application), application: holders[0].application, backendPid: holders[0].pid, client: holders[0].client, since: holders[0].since },
    });
  }
  return out;
}
