// The gap-safe page query over the global log. It reads only transactions below the snapshot's
// xmin (all of them finished), in (transaction_id, global_position) order, and returns that xmin so
// a reader that got a short page knows it has seen everything below it, including events that
// the filter dropped.

import type pg from 'pg';
import { maxPosition, type Position } from '../position.js';
import type { EventFilter, RecordedEvent } from '../types.js';
import { EVENT_COLUMNS, positionParams, toRecorded, type EventRow } from './rows.js';

export interface Page {
  events: RecordedEvent[];
  /** Where the next page starts: after the last event, or at the horizon for a short page. */
  next: Position;
  /** True when the page was short, i.e. the reader has caught up with the horizon. */
  caughtUp: boolean;
  /** Committed events exist above the horizon (an older transaction still runs): look again soon. */
  pendingAboveHorizon: boolean;
}

function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

export async function readAllPage(pool: pg.Pool, from: Position, limit: number, filter?: EventFilter): Promise<Page> {
  const values: unknown[] = [...positionParams(from), limit];
  const conditions: string[] = [];
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    values.push(filter.streamPrefixes.map(likePrefix));
    conditions.push(`e.stream like any($${values.length}::text[])`);
  }
  if (filter?.eventTypes && filter.eventTypes.length > 0) {
    values.push(filter.eventTypes);
    conditions.push(`e.type = any($${values.length}::text[])`);
  }
  const extra = conditions.map((c) => ` and ${c}`).join('');
  const text = `
    with h as materialized (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
    select h.xmin::text as horizon,
           exists (select 1 from es.events a where a.transaction_id >= h.xmin) as pending_above,
           p.*
      from h left join lateral (
        select ${EVENT_COLUMNS}
          from es.events e
         where (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
           and e.transaction_id < h.xmin${extra}
         order by e.transaction_id, e.global_position
         limit $3
      ) p on true`;
  const { rows } = await pool.query<EventRow & { horizon: string; pending_above: boolean }>(text, values);
  const events: RecordedEvent[] = [];
  for (const row of rows) if (row.id !== null) events.push(toRecorded(row));
  const last = events.at(-1);
  const pendingAboveHorizon = rows[0]?.pending_above === true;
  if (events.length >= limit && last) return { events, next: last.position, caughtUp: false, pendingAboveHorizon };
  const horizon = BigInt(rows[0]!.horizon);
  // Everything below the horizon has been read; jump there so filtered-out events are not rescanned.
  const atHorizon: Position = { commit: horizon, prepare: 0n };
  let next = maxPosition(from, atHorizon);
  if (last) next = maxPosition(next, last.position);
  return { events, next, caughtUp: true, pendingAboveHorizon };
}
