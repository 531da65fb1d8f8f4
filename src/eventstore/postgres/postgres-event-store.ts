// The embedded default event store: PostgreSQL, schema `es` (see src/db/migrations/0001_event_store.ts).

import type pg from 'pg';
import { DuplicateEventIdError, EventStoreUnavailableError, WrongExpectedRevisionError } from '../errors.js';
import { START, comparePositions, type Position } from '../position.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  LocalEventData,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../types.js';
import { DEFAULT_APPEND_LIMITS, prepareAppend, validateReadAll, validateStreamName, type AppendLimits } from '../validation.js';
import { AppendBatcher, type BatchRow } from './append-batcher.js';
import { CommitNotifier } from './commit-notifier.js';
import { PgListener } from '../../db/pg-listener.js';
import { postgresLocalEventData } from './local-event-data.js';
import { readAllPage } from './read-all-query.js';
import { EVENT_COLUMNS, positionParams, toRecorded, type EventRow } from './rows.js';
import { PgSubscription, parseSnapshot, type SubscriptionStart } from './subscription.js';

export interface PostgresEventStoreOptions {
  /** Used for the dedicated LISTEN connection. */
  url: string;
  pageSize?: number;
  pollIntervalMs?: number;
  /** How long readAll waits for events committed before the call to clear the horizon. */
  settleTimeoutMs?: number;
  maxBatchesInFlight?: number;
  onBackgroundError?: (err: Error) => void;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly limits: AppendLimits = DEFAULT_APPEND_LIMITS;
  /** The log is in the read models' database: they may refer to its events (local-event-data.ts). */
  readonly localData: LocalEventData = postgresLocalEventData;
  private readonly batcher: AppendBatcher;
  private readonly notifier: PgListener;
  private readonly commitNotifier: CommitNotifier;
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;
  private readonly settleTimeoutMs: number;
  private readonly subscriptions = new Set<Subscription>();
  /** From-'end' subscriptions still reading their start; appends wait for them (see subscribe). */
  private pendingEnds = 0;
  private endsKnown: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    opts: PostgresEventStoreOptions,
  ) {
    this.pageSize = opts.pageSize ?? 1000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 500;
    this.settleTimeoutMs = opts.settleTimeoutMs ?? 2_000;
    const onBackgroundError = opts.onBackgroundError ?? (() => undefined);
    this.commitNotifier = new CommitNotifier(pool, 'es_events', onBackgroundError);
    this.batcher = new AppendBatcher(pool, {
      // Two: while one batch waits for its WAL flush the next one is already being written (32
      // writers: 3.65–3.93× Emmett with 2 against 2.85–3.09× with 1 and 2.5–3.0× with 4 in one
      // session, npm run bench -- eventstore); a lone writer is unaffected.
      maxInFlight: opts.maxBatchesInFlight ?? 2,
      maxAppendsPerBatch: 256,
      maxBytesPerBatch: 8 * 1024 * 1024,
      onCommitted: () => this.commitNotifier.committed(),
    });
    this.notifier = new PgListener(opts.url, 'es_events', onBackgroundError);
  }

  async append(stream: string, events: NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    const prepared = prepareAppend(stream, events, opts.expectedRevision, this.limits);
    if (this.pendingEnds > 0) await this.endsKnown;
    let row: BatchRow;
    try {
      row = await this.batcher.submit(prepared);
    } catch (err) {
      throw wrapConnectionError(err);
    }
    if (row.status === 'ok') {
      return { nextRevision: BigInt(row.next_revision!), position: { commit: BigInt(row.commit_id!), prepare: BigInt(row.prepare_pos!) } };
    }
    if (row.status === 'duplicate_id') throw new DuplicateEventIdError(stream, prepared.events[0]!.id);
    throw new WrongExpectedRevisionError(stream, prepared.expected, row.next_revision === null ? 'no_stream' : BigInt(row.next_revision));
  }

  async *readStream(stream: string, opts: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    validateStreamName(stream);
    const backwards = opts.direction === 'backwards';
    let remaining = opts.maxCount ?? Number.POSITIVE_INFINITY;
    let from: bigint | undefined = opts.fromRevision;
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const values: unknown[] = [stream, limit];
      let cond = '';
      if (from !== undefined) {
        values.push(from.toString());
        cond = backwards ? ' and e.revision <= $3::bigint' : ' and e.revision >= $3::bigint';
      }
      const { rows } = await this.query<EventRow>(
        `select ${EVENT_COLUMNS} from es.events e where e.stream = $1${cond}
          order by e.revision ${backwards ? 'desc' : 'asc'} limit $2`,
        values,
      );
      for (const row of rows) yield toRecorded(row);
      remaining -= rows.length;
      if (rows.length < limit) return;
      const last = BigInt(rows.at(-1)!.revision);
      if (backwards && last === 0n) return;
      from = backwards ? last - 1n : last + 1n;
    }
  }

  /**
   * Every event committed before the call (that matches), in commit order. Events committed
   * before the call but still above the gap-safe horizon (an older transaction, possibly in
   * another database of the cluster, is still open) are waited for, up to `settleTimeoutMs`.
   */
  async *readAll(opts: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    validateReadAll(opts);
    let position = opts.from ?? START;
    let remaining = opts.maxCount ?? Number.POSITIVE_INFINITY;
    const to = opts.to;
    if (to && comparePositions(position, to) >= 0) return;
    const committedBefore = await this.maxCommittedPosition();
    const settleBy = Date.now() + this.settleTimeoutMs;
    let backoffMs = 2;
    while (remaining > 0) {
      const page = await this.page(position, Math.min(this.pageSize, remaining), opts);
      for (const event of page.events) yield event;
      remaining -= page.events.length;
      position = page.next;
      if (!page.caughtUp) continue;
      // A short page below the bound: everything up to the horizon is read, and the bound is below it.
      if (to && comparePositions(position, to) >= 0) return;
      if (committedBefore === undefined || Date.now() > settleBy || !(await this.unreadCommittedUpTo(committedBefore, position, to))) return;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 50);
    }
  }

  private async maxCommittedPosition(): Promise<string | undefined> {
    const { rows } = await this.query<{ gp: string | null }>('select max(global_position)::text as gp from es.events');
    return rows[0]?.gp ?? undefined;
  }

  /**
   * Whether events up to `globalPosition` exist after `readUpTo` that the reader has not read:
   * still above the horizon, or below it because the horizon moved since the page was read (an
   * older transaction committed in between — asking only "above the horizon now?" then missed
   * them and ended the read early).
   */
  private async unreadCommittedUpTo(globalPosition: string, readUpTo: Position, to: Position | undefined): Promise<boolean> {
    const { rows } = await this.query<{ pending: boolean }>(
      `select exists (select 1 from es.events
                       where global_position <= $1::bigint
                         and (transaction_id, global_position) > ($2::text::xid8, $3::bigint)
                         and ($4::text is null or (transaction_id, global_position) <= ($4::text::xid8, $5::bigint))) as pending`,
      [globalPosition, ...positionParams(readUpTo), ...(to ? positionParams(to) : [null, null])],
    );
    return rows[0]?.pending === true;
  }

  subscribe(opts: SubscribeOptions): Subscription {
    const from = opts.from;
    const start = async (): Promise<SubscriptionStart> => {
      if (from === 'start') return { position: START };
      if (from === 'end') {
        // The past is what this call's snapshot sees. Positions order by transaction id, and a
        // transaction older than one that committed before the call may still be running (in any
        // database of the cluster): start at the snapshot's xmin, and skip what the snapshot saw.
        const { rows } = await this.query<{ snapshot: string }>('select pg_current_snapshot()::text as snapshot');
        const past = parseSnapshot(rows[0]!.snapshot);
        return { position: { commit: past.xmin, prepare: 0n }, past };
      }
      return { position: from };
    };
    // 'end' is the horizon at this call: read it now, not at the first next(), and let this store's
    // appends wait until it is known, so none of them falls before it.
    const started = start();
    if (from === 'end') {
      this.pendingEnds++;
      const known = started.then(
        () => undefined,
        () => undefined,
      );
      const previous = this.endsKnown;
      this.endsKnown = Promise.all([previous, known]).then(() => undefined);
      void known.then(() => this.pendingEnds--);
    }
    const sub: PgSubscription = new PgSubscription(this.pool, this.notifier, () => started, opts.filter, {
      pageSize: this.pageSize,
      pollIntervalMs: this.pollIntervalMs,
      onClose: () => this.subscriptions.delete(sub),
    });
    this.subscriptions.add(sub);
    return sub;
  }

  async headPosition(): Promise<Position | undefined> {
    const { rows } = await this.query<{ tx: string; gp: string }>(
      `select transaction_id::text as tx, global_position::text as gp from es.events
        where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by transaction_id desc, global_position desc limit 1`,
    );
    const row = rows[0];
    return row ? { commit: BigInt(row.tx), prepare: BigInt(row.gp) } : undefined;
  }

  async ping(): Promise<void> {
    await this.query('select 1 from es.streams limit 1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.notifier.close();
    await this.commitNotifier.idle();
  }

  private async page(from: Position, limit: number, opts: ReadAllOptions) {
    try {
      return await readAllPage(this.pool, from, limit, opts.filter, opts.to);
    } catch (err) {
      throw wrapConnectionError(err);
    }
  }

  private async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw wrapConnectionError(err);
    }
  }
}

function wrapConnectionError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code !== undefined && CONNECTION_ERRORS.has(code)) {
    return new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${(err as Error).message}`, { cause: err });
  }
  if (err instanceof Error && /Connection terminated|timeout exceeded when trying to connect/i.test(err.message)) {
    return new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${err.message}`, { cause: err });
  }
  return err;
}
