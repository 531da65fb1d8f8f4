import type { Migration } from './migration.js';

// One append alone (a single writer, or a batch of one) in one round trip with a constant, small
// number of statements: es.append_batch's arrays and loops cost a lone append about twice the CPU
// of the statements themselves (issue 14, "Single-writer appends"). Same statuses and guarantees as
// es.append_batch (0001): the stream row locked before the checks, event ids idempotent for a
// complete identical earlier append, 'retry' when another transaction created the stream meanwhile,
// positions in commit order (transaction_id, global_position), one NOTIFY per commit. Generic plans
// are fine here (every statement is an equality on a unique index), unlike append_batch's (0004).
export const appendOne: Migration = {
  id: '0010_append_one',
  sql: /* sql */ `
create function es.append_one(p_stream text, p_expected text, p_events jsonb)
returns table (idx int, status text, next_revision bigint, commit_id xid8, prepare_pos bigint)
language plpgsql as $fn$
declare
  n int := jsonb_array_length(p_events);
  v_ids uuid[];
  cur bigint;
  v_found bigint;
  v_same bigint;
  v_max bigint;
  v_tx xid8;
  v_pos bigint;
begin
  idx := 0;
  select st.revision into cur from es.streams st where st.stream = p_stream for update;

  select array_agg((ev->>'i')::uuid) into v_ids from jsonb_array_elements(p_events) ev;
  select count(*), count(*) filter (where e.stream = p_stream), max(e.revision)
    into v_found, v_same, v_max
    from es.events e where e.id = any(v_ids);
  if v_found > 0 then
    if v_found = n and v_same = n then
      select e.transaction_id, e.global_position into v_tx, v_pos
        from es.events e where e.stream = p_stream and e.revision = v_max;
      status := 'ok'; next_revision := v_max; commit_id := v_tx; prepare_pos := v_pos;
    else
      status := 'duplicate_id';
    end if;
    return next;
    return;
  end if;

  if not (case p_expected
            when 'any' then true
            when 'no_stream' then cur is null
            when 'stream_exists' then cur is not null
            else cur is not null and cur = p_expected::bigint
          end) then
    status := 'wrong_expected_revision';
    next_revision := cur;
    return next;
    return;
  end if;

  if cur is null then
    insert into es.streams (stream, revision) values (p_stream, n - 1) on conflict (stream) do nothing;
    if not found then
      status := 'retry'; -- created meanwhile by a concurrent transaction
      return next;
      return;
    end if;
  else
    update es.streams st set revision = cur + n where st.stream = p_stream;
  end if;

  with ins as (
    insert into es.events (id, stream, revision, type, data, metadata)
    select (ev.value->>'i')::uuid, p_stream, coalesce(cur, -1) + ev.ordinality,
           ev.value->>'t', ev.value->'d', ev.value->'m'
      from jsonb_array_elements(p_events) with ordinality as ev
     order by ev.ordinality
    returning global_position
  )
  select max(ins.global_position) into v_pos from ins;
  perform pg_notify('es_events', '');
  status := 'ok';
  next_revision := coalesce(cur, -1) + n;
  commit_id := pg_current_xact_id();
  prepare_pos := v_pos;
  return next;
end
$fn$;
`,
};
