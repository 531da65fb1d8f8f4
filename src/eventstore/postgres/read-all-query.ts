// The gap-safe page query over the global log (es.read_all_page, migration 0004). It reads only
// transactions below the snapshot's xmin (all of them finished), in (transaction_id,
// global_position) order, and returns that xmin so a reader that got a short page knows it has
// seen everything below it, including events that the filter dropped.

import type pg from 'pg';
import { maxPosition, type Position } from '../position.js';
import type { EventFilter, RecordedEvent } from '../types.js';
import { positionParams, toRecorded, type EventRow } from './rows.js';

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

/** One page after `from` (exclusive), up to `to` (inclusive) when given. */
export async function readAllPage(pool: pg.Pool, from: Position, limit: number, filter?: EventFilter, to?: Position): Promise<Page> {
  const prefixes = filter?.streamPrefixes && filter.streamPrefixes.length > 0 ? filter.streamPrefixes.map(likePrefix) : null;
  const types = filter?.eventTypes && filter.eventTypes.length > 0 ? filter.eventTypes : null;
  const omit = filter?.omitData && Object.keys(filter.omitData).length > 0 ? JSON.stringify(filter.omitData) : null;
  const columns = `select horizon::text as horizon, pending_above, global_position::text as gp, transaction_id::text as tx, id::text as id,
                  stream, revision::text as revision, type, metadata, recorded_at`;
  const bounded = to !== undefined;
  const source = bounded
    ? 'from es.read_all_page($1::text::xid8, $2::bigint, $3::int, $4::text[], $5::text[], $6::text::xid8, $7::bigint)'
    : 'from es.read_all_page($1::text::xid8, $2::bigint, $3::int, $4::text[], $5::text[])';
  const omitParam = bounded ? '$8' : '$6';
  const values: unknown[] = [...positionParams(from), limit, prefixes, types, ...(bounded ? positionParams(to) : [])];
  const suffix = bounded ? '_to' : '';
  const { rows } = await pool.query<EventRow & { horizon: string; pending_above: boolean }>(
    omit === null
      ? { name: `es_read_all_page${suffix}`, text: `${columns}, data ${source}`, values }
      : {
          // The fields are dropped before the row is serialised: neither sent nor parsed.
          name: `es_read_all_page_omit${suffix}`,
          text: `${columns}, case when ${omitParam}::jsonb ? type then data - array(select jsonb_array_elements_text(${omitParam}::jsonb -> type)) else data end as data ${source}`,
          values: [...values, omit],
        },
  );
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
