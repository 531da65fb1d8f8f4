import type { Migration } from './migration.js';
import { eventStoreSchema } from './0001_event_store.js';
import { appendOne } from './0010_append_one.js';

// es.append_one_quiet and es.append_batch_quiet: es.append_one (0010) without the pg_notify inside
// the append's transaction, and a batch of them; the store sends
// the wake-up after the commit (src/eventstore/postgres/commit-notifier.ts). A transaction that
// has queued a NOTIFY takes one cluster-wide lock at commit and holds it through its WAL flush
// (PostgreSQL's async.c, PreCommit_Notify), so appends that notify commit one after another and
// never share a flush: 32 writers of a one-row insert did ~3 000 commits/s with a NOTIFY per
// commit against ~9 000 without on the bench machine, and two append batches in flight spent
// their time waiting for each other. Everything else (statuses, locks, ids, positions) is the
// same text as es.append_one, which stays (with es.append_batch) for instances that still call it.
// The body is taken from the shipped migration's text (frozen, like every shipped migration); the
// replacement is checked so that a change there cannot silently keep the NOTIFY here.
function quiet(sql: string, from: string, to: string, replace: [string, string][] = []): string {
  const notify = "perform pg_notify('es_events', '');";
  const start = sql.indexOf(from);
  if (start < 0 || !sql.includes(notify)) throw new Error(`0011: '${from}' or its NOTIFY not found`);
  const end = sql.indexOf('$fn$;', start) + '$fn$;'.length;
  const body = sql.slice(start, end);
  if (body.split(notify).length !== 2) throw new Error(`0011: expected one NOTIFY in ${from}`);
  let out = body.replace(from, to).replace(notify, '-- no NOTIFY here: the store notifies after the commit (0011).');
  for (const [a, b] of replace) {
    if (out.split(a).length !== 2) throw new Error(`0011: expected one '${a}' in ${from}`);
    out = out.replace(a, b);
  }
  return out;
}

// With a generic plan, \`id in (subquery)\` became a hash join over the whole id index (the path
// taken only when an id is already used); \`= any (array(...))\` keeps it an index lookup.
const appendBatchQuiet = quiet(eventStoreSchema.sql, 'create function es.append_batch(', 'create function es.append_batch_quiet(', [
  ["where e.id in (select (ev->>'i')::uuid from jsonb_array_elements(p_appends->(i - 1)->'e') ev);", "where e.id = any (array(select (ev->>'i')::uuid from jsonb_array_elements(p_appends->(i - 1)->'e') ev));"],
]);
const appendOneQuiet = quiet(appendOne.sql, 'create or replace function es.append_one(', 'create function es.append_one_quiet(');

export const appendWithoutNotify: Migration = {
  id: '0011_append_without_notify',
  sql: /* sql */ `
${appendOneQuiet}

${appendBatchQuiet}
-- Generic plans: planning its statements on every call (force_custom_plan, 0004) was about half of
-- es.append_batch's server CPU. What 0004 avoided was a generic plan made while the tables were
-- small keeping its sequential scans as they grew; every statement here reads es.streams and
-- es.events by a unique key, so sequential scans are turned off for this function instead.
alter function es.append_batch_quiet(jsonb) set plan_cache_mode = force_generic_plan;
alter function es.append_batch_quiet(jsonb) set enable_seqscan = off;

-- The store's one-statement lone append (append-batcher.ts, LONE_APPEND_*) calls this when it has
-- written the stream row but not every event (an event id is taken): the error undoes the
-- statement's writes and the store asks es.append_one_quiet for the answer.
create function es.lone_append_undo() returns int
language plpgsql volatile as $fn$
begin
  raise exception 'an event id of this append is taken: answered by es.append_one_quiet' using errcode = 'ES001';
end
$fn$;
`,
};
