import type { Migration } from './migration.js';

// One append alone (a single writer, or a batch of one) in one round trip with a constant, small
// number of statements: es.append_batch's arrays and loops cost a lone append about twice the CPU
// of the statements themselves (issue 14, "Single-writer appends"). Same statuses and guarantees as
// es.append_batch (0001): the stream row locked before the checks, event ids idempotent for a
// complete identical earlier append, 'retry' when another transaction created the stream meanwhile,
// positions in commit order (transaction_id, global_position), one NOTIFY per commit. Generic plans
// are fine here (every statement is an equality on a unique index), unlike append_batch's (0004).
// It writes first and looks at the event ids only when one of them is taken (insert ... on
// conflict (id) do nothing wrote fewer rows than the append has): four statements (lock, stream
// row, events, notify). A taken id undoes this append's writes in the same transaction and answers
// as append_batch does: the original's result for a complete identical repeat, duplicate_id
// otherwise. An id taken by a transaction still in flight is waited for rather than failing the
// append with a unique violation.
export const appendOne: Migration = {
  id: '0010_append_one',
  sql: /* sql */ `
create or replace function es.append_one(p_stream text, p_expected text, p_events jsonb)
returns table (idx int, status text, next_revision bigint, commit_id xid8, prepare_pos bigint)
language plpgsql as $fn$
declare
  n int := jsonb_array_length(p_events);
  cur bigint;
  ok boolean;
  v_written int;
  v_found bigint;
  v_same bigint;
  v_max bigint;
  v_tx xid8;
  v_pos bigint;
begin
  idx := 0;
  select st.revision into cur from es.streams st where st.stream = p_stream for update;
  ok := case p_expected
          when 'any' then true
          when 'no_stream' then cur is null
          when 'stream_exists' then cur is not null
          else cur is not null and cur = p_expected::bigint
        end;

  if ok then
    -- The usual case: write first, look at the ids only if one of them is taken.
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
      on conflict (id) do nothing
      returning global_position
    )
    select count(*), max(ins.global_position) into v_written, v_pos from ins;
    if v_written = n then
      perform pg_notify('es_events', '');
      status := 'ok';
      next_revision := coalesce(cur, -1) + n;
      commit_id := pg_current_xact_id();
      prepare_pos := v_pos;
      return next;
      return;
    end if;
    -- An event id is taken: undo this append's writes, then answer as below.
    delete from es.events e where e.stream = p_stream and e.revision > coalesce(cur, -1);
    if cur is null then
      delete from es.streams st where st.stream = p_stream;
    else
      update es.streams st set revision = cur where st.stream = p_stream;
    end if;
  end if;

  -- Ids already recorded: an idempotent repeat of a complete earlier append, or a duplicate.
  select count(*), count(*) filter (where e.stream = p_stream), max(e.revision)
    into v_found, v_same, v_max
    from es.events e
   where e.id in (select (ev->>'i')::uuid from jsonb_array_elements(p_events) ev);
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
  if ok then
    -- The taken id was released meanwhile (its transaction rolled back): submit again.
    status := 'retry';
  else
    status := 'wrong_expected_revision';
    next_revision := cur;
  end if;
  return next;
end
$fn$;
`,
};
