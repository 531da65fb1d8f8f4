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
   * the events (LONE_*): no PL/pgSQL call and its per-statement executor set-up, which were most of
   * the gap between a lone append and one durable insert. One event (the usual append) goes as
   * scalar parameters, not as a JSON array the server parses and takes apart (about 15 of 92 µs of
   * server execution). When that statement cannot decide it writes nothing — the stream row is not
   * as expected (no row back), or an event id is taken (the plain insert fails with a unique
   * violation, which undoes the stream row with it) — and the answer comes from
   * es.append_one_quiet, the same statuses as before.
   */
  private async executeOne(append: PreparedAppend): Promise<BatchRow[]> {
    if (append.expected === 'no_stream' || typeof append.expected === 'bigint') {
      const fresh = append.expected === 'no_stream';
      const base = fresh ? -1n : (append.expected as bigint);
      const n = append.events.length;
      try {
        let row: { last_pos: string; tx: string } | undefined;
        if (n === 1) {
          const e = append.events[0]!;
          const { rows } = await this.pool.query<{ last_pos: string; tx: string }>({
            name: fresh ? 'es_lone_one_new' : 'es_lone_one_next',
            text: fresh ? LONE_ONE_NEW : LONE_ONE_NEXT,
            values: [append.stream, base.toString(), e.id, e.type, e.dataJson, e.metadataJson],
          });
          row = rows[0];
        } else {
          const { rows } = await this.pool.query<{ written: string; last_pos: string; tx: string }>({
            name: fresh ? 'es_lone_many_new' : 'es_lone_many_next',
            text: fresh ? LONE_MANY_NEW : LONE_MANY_NEXT,
            values: [append.stream, base.toString(), n, encodeEvents(append)],
          });
          row = rows[0] && Number(rows[0].written) === n ? rows[0] : undefined;
        }
        if (row) return [{ idx: 0, status: 'ok', next_revision: (base + BigInt(n)).toString(), commit_id: row.tx, prepare_pos: row.last_pos }];
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
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

const UNIQUE_VIOLATION = '23505';

// One statement, one transaction: the stream row (created, or moved on from the expected
// revision), then the events only if that row was written, numbered from $2 + 1 in their order.
// Nothing back (LONE_ONE_*) or written = 0 (LONE_MANY_*): the stream row is not as expected and
// nothing was written. A taken event id fails the whole statement (23505; no `on conflict (id) do
// nothing`, which let a one-event append whose id was taken commit its stream row without its
// event). The row locks and waits are those of es.append_one.
const STREAM_NEW = `insert into es.streams (stream, revision) values ($1, $2::bigint + $3::int) on conflict (stream) do nothing returning 1`;
const STREAM_NEXT = `update es.streams st set revision = $2::bigint + $3::int where st.stream = $1 and st.revision = $2::bigint returning 1`;
const ONE_EVENT = `
insert into es.events (id, stream, revision, type, data, metadata)
select $3::uuid, $1, $2::bigint + 1, $4, $5::jsonb, $6::jsonb where exists (select 1 from s)
returning global_position::text as last_pos, transaction_id::text as tx`;
const LONE_ONE_NEW = `with s as (${STREAM_NEW.replace('$3::int', '1')})${ONE_EVENT}`;
const LONE_ONE_NEXT = `with s as (${STREAM_NEXT.replace('$3::int', '1')})${ONE_EVENT}`;
const MANY_EVENTS = `,
  e as (
    insert into es.events (id, stream, revision, type, data, metadata)
    select (ev.value->>'i')::uuid, $1, $2::bigint + ev.ordinality, ev.value->>'t', ev.value->'d', ev.value->'m'
      from jsonb_array_elements($4::jsonb) with ordinality as ev
     where exists (select 1 from s)
     order by ev.ordinality
    returning global_position, transaction_id
  )
select count(*)::text as written, max(e.global_position)::text as last_pos, (array_agg(e.transaction_id))[1]::text as tx from e`;
const LONE_MANY_NEW = `with s as (${STREAM_NEW})${MANY_EVENTS}`;
const LONE_MANY_NEXT = `with s as (${STREAM_NEXT})${MANY_EVENTS}`;

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
