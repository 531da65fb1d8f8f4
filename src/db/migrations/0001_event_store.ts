import type { Migration } from '../migrate.js';

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

-- Appends a batch of independent appends in one transaction (one round trip, one WAL flush).
-- p_appends: [{"s": stream, "x": expected ('any'|'no_stream'|'stream_exists'|'<revision>'),
--              "e": [{"i": uuid, "t": type, "d": data, "m": metadata}, ...]}, ...]
-- Returns one row per append (idx is its 0-based index in p_appends). Streams are locked in name
-- order, so concurrent batches cannot deadlock on stream rows. An append that fails its check
-- writes nothing and does not affect the others.
create function es.append_batch(p_appends jsonb)
returns table (idx int, status text, next_revision bigint, commit_id xid8, prepare_pos bigint)
language plpgsql as $fn$
declare
  a record;
  v_stream text;
  v_expected text;
  v_events jsonb;
  v_n int;
  v_rev bigint;
  v_pos bigint;
  v_found bigint;
  v_same bigint;
  v_written boolean := false;
begin
  for a in
    select x.value as v, (x.ordinality - 1)::int as i
    from jsonb_array_elements(p_appends) with ordinality as x
    order by x.value->>'s' collate "C", x.ordinality
  loop
    v_stream := a.v->>'s';
    v_expected := a.v->>'x';
    v_events := a.v->'e';
    v_n := jsonb_array_length(v_events);
    idx := a.i;

    -- Idempotency: the same event ids appended again to the same stream are a no-op.
    select count(*), count(*) filter (where e.stream = v_stream), max(e.revision)
      into v_found, v_same, v_rev
      from es.events e
     where e.id in (select (x->>'i')::uuid from jsonb_array_elements(v_events) x);
    if v_found > 0 then
      if v_found = v_n and v_same = v_n then
        select e.transaction_id, e.global_position into commit_id, prepare_pos
          from es.events e where e.stream = v_stream and e.revision = v_rev;
        status := 'ok'; next_revision := v_rev;
      else
        status := 'duplicate_id'; next_revision := null; commit_id := null; prepare_pos := null;
      end if;
      return next;
      continue;
    end if;

    -- Compare-and-set on the stream revision; the row lock serialises writers of one stream.
    v_rev := null;
    if v_expected = 'any' then
      insert into es.streams as s (stream, revision) values (v_stream, v_n - 1)
        on conflict (stream) do update set revision = s.revision + v_n
        returning s.revision into v_rev;
    elsif v_expected = 'no_stream' then
      insert into es.streams (stream, revision) values (v_stream, v_n - 1)
        on conflict (stream) do nothing
        returning revision into v_rev;
    elsif v_expected = 'stream_exists' then
      update es.streams set revision = revision + v_n where stream = v_stream
        returning revision into v_rev;
    else
      update es.streams set revision = revision + v_n
       where stream = v_stream and revision = v_expected::bigint
        returning revision into v_rev;
    end if;

    if v_rev is null then
      select s.revision into next_revision from es.streams s where s.stream = v_stream;
      status := 'wrong_expected_revision'; commit_id := null; prepare_pos := null;
      return next;
      continue;
    end if;

    with ins as (
      insert into es.events (id, stream, revision, type, data, metadata)
      select (x.e->>'i')::uuid, v_stream, v_rev - v_n + x.o, x.e->>'t', x.e->'d', x.e->'m'
        from jsonb_array_elements(v_events) with ordinality as x(e, o)
       order by x.o
      returning global_position
    )
    select max(global_position) into v_pos from ins;

    v_written := true;
    status := 'ok'; next_revision := v_rev; commit_id := pg_current_xact_id(); prepare_pos := v_pos;
    return next;
  end loop;

  if v_written then
    perform pg_notify('es_events', '');
  end if;
end
$fn$;
`,
};
