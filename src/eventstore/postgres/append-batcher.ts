// Groups appends that arrive while earlier ones are in flight into one call of es.append_batch_quiet:
// one round trip and one WAL flush for many appends, each still getting its own result. With a
// single writer every append goes out alone, so batching never adds latency; an append alone goes
// to es.append_one_quiet, the same statuses in a few statements (see 0010_append_one.ts). Neither
// notifies inside the transaction (0011_append_without_notify.ts): `onCommitted` runs after each
// commit that wrote events, so batches in flight at once can share one WAL flush.

import type pg from 'pg';
import type { PreparedAppend } from '../validation.js';

export interface BatchRow {
  idx: number;
  status: 'ok' | 'wrong_expected_revision' | 'duplicate_id' | 'retry';
  next_revision: string | null;
  commit_id: string | null;
  prepare_pos: string | null;
}

interface Pending {
  append: PreparedAppend;
  resolve(row: BatchRow): void;
  reject(err: unknown): void;
}

export interface BatcherOptions {
  /** Batches in flight at once (each holds one connection). */
  maxInFlight: number;
  maxAppendsPerBatch: number;
  maxBytesPerBatch: number;
  /** After a commit that wrote events (the store sends the NOTIFY). */
  onCommitted(): void;
}

// Errors that only mean "this batch could not run as a whole": retried one append at a time, so
// one bad append (or a race on the same event id) cannot fail its neighbours.
const SPLIT_AND_RETRY = new Set(['23505', '40P01', '40001', '22P02', '22023', '54000']);

export class AppendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: BatcherOptions,
  ) {}

  submit(append: PreparedAppend): Promise<BatchRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Takes queued appends in order, at most one per stream (a later one for the same stream waits). */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const streams = new Set<string>();
    const left: Pending[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < this.queue.length && batch.length < this.opts.maxAppendsPerBatch; i++) {
      const next = this.queue[i]!;
      if (batch.length > 0 && bytes + next.append.bytes > this.opts.maxBytesPerBatch) break;
      if (streams.has(next.append.stream)) {
        left.push(next);
        continue;
      }
      streams.add(next.append.stream);
      bytes += next.append.bytes;
      batch.push(next);
    }
    this.queue = [...left, ...this.queue.slice(i)];
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    let rows: BatchRow[];
    try {
      rows = await this.execute(batch.map((p) => p.append));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (batch.length > 1 && code !== undefined && SPLIT_AND_RETRY.has(code)) {
        await Promise.all(batch.map((p) => this.run([p])));
        return;
      }
      for (const p of batch) p.reject(err);
      return;
    }
    if (rows.some((r) => r.status === 'ok')) this.opts.onCommitted();
    const retry: Pending[] = [];
    for (const row of rows) {
      const pending = batch[row.idx]!;
      if (row.status === 'retry') retry.push(pending);
      else pending.resolve(row);
    }
    // A stream created concurrently by another process: evaluate again in the next batch.
    if (retry.length > 0) this.queue.unshift(...retry);
  }

  private async execute(appends: PreparedAppend[]): Promise<BatchRow[]> {
    if (appends.length === 1) return this.executeOne(appends[0]!);
    const { rows } = await this.pool.query<BatchRow>({
      name: 'es_append_batch_quiet',
      text: 'select idx, status, next_revision::text, commit_id::text, prepare_pos::text from es.append_batch_quiet($1::jsonb)',
      values: [encodeBatch(appends)],
    });
    if (rows.length !== appends.length) throw new Error(`append_batch returned ${rows.length} rows for ${appends.length} appends`);
    return rows;
  }

  /**
   * A lone append (a single writer never waits for company). With a 'no_stream' or numeric
   * expected revision (what the command side sends) one plain statement writes the stream row and
   * the events (LONE_APPEND_*): no PL/pgSQL call and its per-statement executor set-up, which were
   * most of the gap between a lone append and one durable insert. When that statement cannot
   * decide (the stream row is not as expected, an event id is taken) it writes nothing and the
   * answer comes from es.append_one_quiet, the same statuses as before.
   */
  private async executeOne(append: PreparedAppend): Promise<BatchRow[]> {
    if (append.expected === 'no_stream' || typeof append.expected === 'bigint') {
      const base = append.expected === 'no_stream' ? -1n : append.expected;
      try {
        const { rows } = await this.pool.query<{ written: string; last_pos: string | null; tx: string | null }>({
          name: append.expected === 'no_stream' ? 'es_lone_append_new' : 'es_lone_append_next',
          text: append.expected === 'no_stream' ? LONE_APPEND_NEW : LONE_APPEND_NEXT,
          values: [append.stream, base.toString(), append.events.length, encodeEvents(append)],
        });
        const row = rows[0];
        if (row && Number(row.written) === append.events.length) {
          return [{ idx: 0, status: 'ok', next_revision: (base + BigInt(append.events.length)).toString(), commit_id: row.tx, prepare_pos: row.last_pos }];
        }
      } catch (err) {
        if ((err as { code?: string }).code !== 'ES001') throw err;
      }
    }
    const { rows } = await this.pool.query<BatchRow>({
      name: 'es_append_one_quiet',
      text: 'select idx, status, next_revision::text, commit_id::text, prepare_pos::text from es.append_one_quiet($1, $2, $3::jsonb)',
      values: [append.stream, expectedText(append), encodeEvents(append)],
    });
    if (rows.length !== 1) throw new Error(`append_one returned ${rows.length} rows`);
    return rows;
  }
}

// One statement, one transaction: the stream row (created, or moved on from the expected
// revision), then the events only if that row was written, numbered from $2 + 1 in their order.
// written = 0 (nothing written, the stream row is not as expected): the caller asks
// es.append_one_quiet. Some but not all events written (an id is taken): es.lone_append_undo()
// fails the statement, which undoes it. The row locks and waits are those of es.append_one.
const LONE_APPEND_EVENTS = `
  e as (
    insert into es.events (id, stream, revision, type, data, metadata)
    select (ev.value->>'i')::uuid, $1, $2::bigint + ev.ordinality, ev.value->>'t', ev.value->'d', ev.value->'m'
      from jsonb_array_elements($4::jsonb) with ordinality as ev
     where exists (select 1 from s)
     order by ev.ordinality
    on conflict (id) do nothing
    returning global_position, transaction_id
  )
select case when count(*) between 1 and $3::int - 1 then es.lone_append_undo() else count(*) end::text as written,
       max(e.global_position)::text as last_pos, (array_agg(e.transaction_id))[1]::text as tx
  from e`;
const LONE_APPEND_NEW = `with s as (
    insert into es.streams (stream, revision) values ($1, $2::bigint + $3::int) on conflict (stream) do nothing returning 1
  ),${LONE_APPEND_EVENTS}`;
const LONE_APPEND_NEXT = `with s as (
    update es.streams st set revision = $2::bigint + $3::int where st.stream = $1 and st.revision = $2::bigint returning 1
  ),${LONE_APPEND_EVENTS}`;

const expectedText = (a: PreparedAppend): string => (typeof a.expected === 'bigint' ? a.expected.toString() : a.expected);

/** The events of one append as JSON, from the already-serialised bodies (no second stringify). */
function encodeEvents(a: PreparedAppend): string {
  return `[${a.events.map((e) => `{"i":"${e.id}","t":${JSON.stringify(e.type)},"d":${e.dataJson},"m":${e.metadataJson}}`).join(',')}]`;
}

/** Builds the JSON argument from the already-serialised event bodies (no second stringify). */
function encodeBatch(appends: PreparedAppend[]): string {
  const parts = appends.map((a) => `{"s":${JSON.stringify(a.stream)},"x":"${expectedText(a)}","e":${encodeEvents(a)}}`);
  return `[${parts.join(',')}]`;
}
