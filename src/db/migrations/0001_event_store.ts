import type { Migration } from './migration.js';

// The PostgreSQL event store (DESIGN.md §3). Readers page by (transaction_id, global_position) and
// only read transactions below the current snapshot's xmin, so an event committed late by a slow
// transaction is never skipped: its transaction id is below every later reader's horizon only once
// it has finished.
export const eventStoreSchema: Migration = {
  id: '0001_event_store',
  sql: /* sql */ `
create schema if not exists es;

create table es.streams (
  stream   text primary key,
  revision bigint not null check (revision >= 0)
);

create table es.events (
  global_position bigint generated always as identity primary key,
  transaction_id  xid8 not null default pg_current_xact_id(),
  id              uuid not null unique,
  stream          text not null,
  revision        bigint not null check (revision >= 0),
  type            text not null check (type <> ''),
  data            jsonb not null,
  metadata        jsonb not null,
  recorded_at     timestamptz not null default now(),
  unique (stream, revision)
);

create index events_commit_order on es.events (transaction_id, global_position);

-- Appends a batch of independent appends in one transaction: one round trip and one WAL flush for
-- many appends, with a constant number of statements per batch (not per append).
-- p_appends: [{"s": stream, "x": expected ('any'|'no_stream'|'stream_exists'|'<revision>'),
--              "e": [{"i": uuid, "t": type, "d": data, "m": metadata}, ...]}, ...]
-- Returns one row per append (idx = its 0-based index). Status:
--   ok                      written, or an idempotent repeat of an earlier append of the same ids
--   wrong_expected_revision next_revision holds the actual revision (null: no stream)
--   duplicate_id            an event id is already used outside a complete earlier identical append
--   retry                   the stream appears twice in the batch, or another transaction created
--                           it concurrently: the caller submits the append again
-- Existing stream rows are locked in name order, so concurrent batches do not deadlock on them. An
-- append that fails its check writes nothing and does not affect the others.
create function es.append_batch(p_appends jsonb)
returns table (idx int, status text, next_revision bigint, commit_id xid8, prepare_pos bigint)
language plpgsql as $fn$
declare
  n int := jsonb_array_length(p_appends);
  a_stream text[];
  a_expected text[];
  a_count int[];
  all_ids uuid[];
  l_streams text[];
  l_revs bigint[];
  f_ids uuid[];
  r_status text[] := array_fill(null::text, array[n]);
  r_rev bigint[] := array_fill(null::bigint, array[n]);
  r_first bigint[] := array_fill(null::bigint, array[n]);
  r_tx xid8[] := array_fill(null::xid8, array[n]);
  r_pos bigint[] := array_fill(null::bigint, array[n]);
  r_new boolean[] := array_fill(false, array[n]);
  new_streams text[] := '{}';
  new_revs bigint[] := '{}';
  upd_streams text[] := '{}';
  upd_revs bigint[] := '{}';
  created text[] := '{}';
  w_idx int[] := '{}';
  w_first bigint[] := '{}';
  w_streams text[];
  w_pos bigint[];
  seen text[] := '{}';
  i int;
  k int;
  cur bigint;
  ok boolean;
  v_found bigint;
  v_same bigint;
  v_max bigint;
  v_tx xid8;
  v_pos bigint;
  tx xid8;
begin
  select array_agg(x.value->>'s' order by x.ordinality),
         array_agg(x.value->>'x' order by x.ordinality),
         array_agg(jsonb_array_length(x.value->'e') order by x.ordinality)
    into a_stream, a_expected, a_count
    from jsonb_array_elements(p_appends) with ordinality as x;

  select array_agg((ev->>'i')::uuid) into all_ids
    from jsonb_array_elements(p_appends) a, jsonb_array_elements(a->'e') ev;

  -- Lock the existing streams (in name order) and read their revisions.
  select array_agg(s.stream), array_agg(s.revision) into l_streams, l_revs
    from (select st.stream, st.revision from es.streams st
           where st.stream = any(a_stream) order by st.stream for update) s;

  -- Event ids already recorded (normally none).
  select array_agg(e.id) into f_ids from es.events e where e.id = any(all_ids);

  for i in 1..n loop
    if a_stream[i] = any(seen) then
      r_status[i] := 'retry';
      continue;
    end if;
    seen := seen || a_stream[i];

    if f_ids is not null then
      select count(*), count(*) filter (where e.stream = a_stream[i]), max(e.revision)
        into v_found, v_same, v_max
        from es.events e
       where e.id in (select (ev->>'i')::uuid from jsonb_array_elements(p_appends->(i - 1)->'e') ev);
      if v_found > 0 then
        if v_found = a_count[i] and v_same = a_count[i] then
          select e.transaction_id, e.global_position into v_tx, v_pos
            from es.events e where e.stream = a_stream[i] and e.revision = v_max;
          r_status[i] := 'ok'; r_rev[i] := v_max; r_tx[i] := v_tx; r_pos[i] := v_pos;
        else
          r_status[i] := 'duplicate_id';
        end if;
        continue;
      end if;
    end if;

    k := array_position(l_streams, a_stream[i]);
    cur := case when k is null then null else l_revs[k] end;
    ok := case a_expected[i]
            when 'any' then true
            when 'no_stream' then cur is null
            when 'stream_exists' then cur is not null
            else cur is not null and cur = a_expected[i]::bigint
          end;
    if not ok then
      r_status[i] := 'wrong_expected_revision';
      r_rev[i] := cur;
      continue;
    end if;
    r_status[i] := 'ok';
    r_first[i] := coalesce(cur, -1) + 1;
    r_rev[i] := coalesce(cur, -1) + a_count[i];
    if cur is null then
      r_new[i] := true;
      new_streams := new_streams || a_stream[i];
      new_revs := new_revs || r_rev[i];
    else
      upd_streams := upd_streams || a_stream[i];
      upd_revs := upd_revs || r_rev[i];
    end if;
  end loop;

  if cardinality(new_streams) > 0 then
    with ins as (
      insert into es.streams (stream, revision)
      select u.s, u.r from unnest(new_streams, new_revs) as u(s, r) order by u.s
      on conflict (stream) do nothing
      returning stream
    )
    select coalesce(array_agg(ins.stream), '{}') into created from ins;
  end if;
  if cardinality(upd_streams) > 0 then
    update es.streams st set revision = u.r
      from unnest(upd_streams, upd_revs) as u(s, r)
     where st.stream = u.s;
  end if;

  for i in 1..n loop
    if r_status[i] = 'ok' and r_first[i] is not null then
      if r_new[i] and not (a_stream[i] = any(created)) then
        r_status[i] := 'retry'; -- created meanwhile by a concurrent transaction
        r_rev[i] := null;
      else
        w_idx := w_idx || i;
        w_first := w_first || r_first[i];
      end if;
    end if;
  end loop;

  if cardinality(w_idx) > 0 then
    with ins as (
      insert into es.events (id, stream, revision, type, data, metadata)
      select (ev.value->>'i')::uuid, a_stream[w.i], w.first + ev.ordinality - 1,
             ev.value->>'t', ev.value->'d', ev.value->'m'
        from unnest(w_idx, w_first) with ordinality as w(i, first, ord)
        cross join lateral jsonb_array_elements(p_appends->(w.i - 1)->'e') with ordinality as ev
       order by w.ord, ev.ordinality
      returning stream, global_position
    )
    select array_agg(g.stream), array_agg(g.pos) into w_streams, w_pos
      from (select ins.stream, max(ins.global_position) as pos from ins group by ins.stream) g;
    tx := pg_current_xact_id();
    foreach i in array w_idx loop
      r_tx[i] := tx;
      r_pos[i] := w_pos[array_position(w_streams, a_stream[i])];
    end loop;
    perform pg_notify('es_events', '');
  end if;

  for i in 1..n loop
    idx := i - 1;
    status := r_status[i];
    next_revision := r_rev[i];
    commit_id := r_tx[i];
    prepare_pos := r_pos[i];
    return next;
  end loop;
end
$fn$;
`,
};
