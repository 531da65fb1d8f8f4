import type { Migration } from './migration.js';

// es.read_all_page with an inclusive upper bound (`ReadAllOptions.to`): the scan itself stops at
// (p_to_tx, p_to_gp), so a filter that matches nothing below the bound does not read the rest of
// the log. The bound is a real value of the dynamic query (an index range on both ends). The old
// five-argument calls still resolve (the bound defaults to none); subscriptions use them.
export const boundedReadAllPage: Migration = {
  id: '0009_bounded_read_all_page',
  sql: /* sql */ `
drop function es.read_all_page(xid8, bigint, int, text[], text[]);

create function es.read_all_page(p_tx xid8, p_gp bigint, p_limit int, p_prefixes text[], p_types text[],
                                 p_to_tx xid8 default null, p_to_gp bigint default null)
returns table (horizon xid8, pending_above boolean, global_position bigint, transaction_id xid8, id uuid,
               stream text, revision bigint, type text, data jsonb, metadata jsonb, recorded_at timestamptz)
language plpgsql stable as $fn$
declare
  v_xmin xid8 := pg_snapshot_xmin(pg_current_snapshot());
  -- Committed (or running) events above the horizon: the reader should look again soon.
  v_pending boolean := coalesce((select max(e.transaction_id) from es.events e) >= v_xmin, false);
  v_sql text := 'select $1, $2, e.global_position, e.transaction_id, e.id, e.stream, e.revision, e.type, e.data,
                        e.metadata, e.recorded_at
                   from es.events e
                  where (e.transaction_id, e.global_position) > ($3, $4) and e.transaction_id < $1';
begin
  if p_to_tx is not null then v_sql := v_sql || ' and (e.transaction_id, e.global_position) <= ($8, $9)'; end if;
  if p_prefixes is not null then v_sql := v_sql || ' and e.stream like any($5)'; end if;
  if p_types is not null then v_sql := v_sql || ' and e.type = any($6)'; end if;
  v_sql := v_sql || ' order by e.transaction_id, e.global_position limit $7';
  return query execute v_sql using v_xmin, v_pending, p_tx, p_gp, p_prefixes, p_types, p_limit, p_to_tx, coalesce(p_to_gp, 0);
  if not found then
    return query select v_xmin, v_pending, null::bigint, null::xid8, null::uuid, null::text, null::bigint,
                        null::text, null::jsonb, null::jsonb, null::timestamptz;
  end if;
end
$fn$;
`,
};
