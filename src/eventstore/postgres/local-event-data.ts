// LocalEventData over es.events: what the read side of this database may read of the log besides
// the EventStore port (types.ts). Every query runs on the connection it is given, so a projection's
// lookups see what its own transaction sees.

import type { Position } from '../position.js';
import type { LocalEventData, SqlClient, StoredEventRef } from '../types.js';
import { positionParams } from './rows.js';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function dataKey(field: string): string {
  if (!FIELD.test(field)) throw new Error(`not a data field name: ${JSON.stringify(field)}`);
  return `'${field}'`;
}

function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

export const postgresLocalEventData: LocalEventData = {
  async storedIds(db: SqlClient, refs: readonly StoredEventRef[]): Promise<Set<string>> {
    if (refs.length === 0) return new Set();
    const { rows } = await db.query<{ id: string }>(
      `select e.id::text as id
         from unnest($1::uuid[], $2::text[], $3::text[]) as r(id, stream, type)
         -- one index lookup per event (offset 0 keeps the planner from turning this into a hash
         -- join over every event of the type in the log, a cost that grows with the log)
         cross join lateral (select id from es.events where id = r.id and stream = r.stream and type = r.type offset 0) e`,
      [refs.map((r) => r.id), refs.map((r) => r.stream), refs.map((r) => r.type)],
    );
    return new Set(rows.map((r) => r.id));
  },

  async arrayLengths(db: SqlClient, type: string, field: string, ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const { rows } = await db.query<{ id: string; n: number | null }>(
      `select id::text as id, jsonb_array_length(data -> ${dataKey(field)}) as n from es.events where id = any($1::uuid[]) and type = $2`,
      [ids, type],
    );
    return new Map(rows.flatMap((r) => (r.n === null ? [] : [[r.id, r.n] as const])));
  },

  dataField(eventId: string, field: string): string {
    return `(select es_ev.data -> ${dataKey(field)} from es.events es_ev where es_ev.id = ${eventId})`;
  },

  async eventsAfter(db: SqlClient, after: Position, streamPrefixes: readonly string[] | undefined, cap: number) {
    const { rows } = await db.query<{ n: string; first_at: Date | null }>(
      `with after as (
         select e.recorded_at from es.events e
          where (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
            and ($3::text[] is null or e.stream like any($3::text[]))
          order by e.transaction_id, e.global_position
          limit ${Math.max(0, Math.floor(cap)) + 1})
       select count(*)::text as n, (select recorded_at from after limit 1) as first_at from after`,
      [...positionParams(after), streamPrefixes?.map(likePrefix) ?? null],
    );
    return { count: Number(rows[0]?.n ?? 0), firstRecordedAt: rows[0]?.first_at ?? undefined };
  },
};
