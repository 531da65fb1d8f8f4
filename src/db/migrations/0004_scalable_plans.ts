import type { Migration } from './migration.js';

// Plans that scale with the log. One page of the global log, gap-safe (see 0001). A function so that the horizon is computed
// first and the page query is planned with real values (dynamic SQL): with the horizon as an
// unknown CTE value the planner chose a bitmap scan plus a sort of every remaining row for each
// page, which made a replay quadratic.
export const scalablePlans: Migration = {
  id: '0004_scalable_plans',
  sql: /* sql */ `
-- append_batch's statements were planned once per connection while the tables were small (seq
-- scans) and kept those generic plans as the tables grew: plan them with real sizes every call.
alter function es.append_batch(jsonb) set plan_cache_mode = force_custom_plan;

create function es.read_all_page(p_tx xid8, p_gp bigint, p_limit int, p_prefixes text[], p_types text[])
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
  if p_prefixes is not null then v_sql := v_sql || ' and e.stream like any($5)'; end if;
  if p_types is not null then v_sql := v_sql || ' and e.type = any($6)'; end if;
  v_sql := v_sql || ' order by e.transaction_id, e.global_position limit $7';
  return query execute v_sql using v_xmin, v_pending, p_tx, p_gp, p_prefixes, p_types, p_limit;
  if not found then
    return query select v_xmin, v_pending, null::bigint, null::xid8, null::uuid, null::text, null::bigint,
                        null::text, null::jsonb, null::jsonb, null::timestamptz;
  end if;
end
$fn$;
`,
};
