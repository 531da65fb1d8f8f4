// The EventStoreDB adapter (EVENT_STORE_URL=esdb://…). Needs EventStoreDB >= 22.6 (positions on
// stream reads). Same contract as the PostgreSQL store, except where ESDB's own rules differ:
// event ids are unique per stream only, and re-appending ids is a no-op only under ESDB's
// idempotency rules (exactly for a numeric/'no_stream' expectation, best effort for 'any').

import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type AllStreamSubscription,
  type AppendResult as EsdbAppendResult,
  type JSONType,
  type StreamingRead,
} from '@eventstore/db-client';
import { InvalidEventError, WrongExpectedRevisionError } from '../errors.js';
import { InvalidCursorError, positionToCursor, type Position } from '../position.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../types.js';
import { DEFAULT_APPEND_LIMITS, ESDB_DEFAULT_MAX_APPEND_BYTES, prepareAppend, validateReadAll, validateStreamName, type AppendLimits } from '../validation.js';
import { fromEsdbActualRevision, isAfter, isInvalidPosition, matchesFilter, subscriptionFilter, toEsdbExpectedRevision, toPosition, toRecordedEvent, wrapError } from './mapping.js';

export interface EsdbEventStoreOptions {
  /** Events per readAll request. */
  pageSize?: number;
  /** Deadline of ping(), in ms. */
  pingTimeoutMs?: number;
  /**
   * The server's MaxAppendSize (default 1 MiB, ESDB_DEFAULT_MAX_APPEND_BYTES): set it to the
   * server's value when the server is configured otherwise (ESDB_MAX_APPEND_BYTES).
   */
  maxAppendBytes?: number;
}

export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  readonly limits: AppendLimits;
  private readonly client: EventStoreDBClient;
  private readonly pageSize: number;
  private readonly pingTimeoutMs: number;
  private readonly subscriptions = new Set<Subscription>();

  constructor(url: string, opts: EsdbEventStoreOptions = {}) {
    this.client = EventStoreDBClient.connectionString(url);
    this.pageSize = opts.pageSize ?? 512;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 5_000;
    const maxAppendBytes = opts.maxAppendBytes ?? ESDB_DEFAULT_MAX_APPEND_BYTES;
    // The server counts the whole append; one event can be no larger than the append.
    this.limits = Object.freeze({ ...DEFAULT_APPEND_LIMITS, appendMaxBytes: maxAppendBytes, eventMaxBytes: Math.min(DEFAULT_APPEND_LIMITS.eventMaxBytes, maxAppendBytes) });
  }

  async append(stream: string, events: NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    const prepared = prepareAppend(stream, events, opts.expectedRevision, this.limits);
    // ESDB treats `$` types as system events, which every reader here skips: refuse, do not lose them.
    const hidden = prepared.events.findIndex((e) => e.type.startsWith('$'));
    if (hidden >= 0) throw new InvalidEventError('invalid_event_type', `event #${hidden}: type must not start with $ (reserved for EventStoreDB system events)`);
    const data = prepared.events.map((e) =>
      jsonEvent({ id: e.id, type: e.type, data: JSON.parse(e.dataJson) as JSONType, metadata: JSON.parse(e.metadataJson) as JSONType }),
    );
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(stream, data, { expectedRevision: toEsdbExpectedRevision(prepared.expected) });
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevisionError(stream, prepared.expected, fromEsdbActualRevision(err.actualVersion));
      }
      if (err instanceof MaxAppendSizeExceededError) {
        throw new InvalidEventError('append_too_large', `the append is larger than EventStoreDB's limit of ${err.maxAppendSize} bytes`);
      }
      throw wrapError(err);
    }
    const nextRevision = result.nextExpectedRevision;
    // For one event the reported position is the event's; for several (or an idempotent repeat
    // without a position) ESDB reports the write's, so read the last event's back.
    let position = prepared.events.length === 1 ? toPosition(result.position) : undefined;
    position ??= (await this.positionOf(stream, nextRevision)) ?? toPosition(result.position);
    if (!position) throw new Error(`EventStoreDB reported no position for the append to '${stream}'`);
    return { nextRevision, position };
  }

  async *readStream(stream: string, opts: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    validateStreamName(stream);
    const backwards = opts.direction === 'backwards';
    if (opts.maxCount !== undefined && opts.maxCount <= 0) return;
    let fromRevision = opts.fromRevision;
    if (fromRevision !== undefined && fromRevision < 0n) {
      if (backwards) return;
      fromRevision = undefined;
    }
    const read = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: fromRevision ?? (backwards ? END : START),
      ...(opts.maxCount !== undefined ? { maxCount: opts.maxCount } : {}),
    });
    try {
      for await (const resolved of drain(read)) {
        const event = toRecordedEvent(resolved);
        if (event) yield event;
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return;
      throw wrapError(err);
    }
  }

  async *readAll(opts: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    validateReadAll(opts);
    let remaining = opts.maxCount ?? Number.POSITIVE_INFINITY;
    let from: Position | undefined = opts.from;
    const to = opts.to;
    if (to && from && !isAfter(to, from)) return;
    // $all has no server-side filter in this client: read pages and filter here. The bound `to`
    // ends the scan at the first event after it, matched or not.
    while (remaining > 0) {
      let seen = 0;
      let last: Position | undefined;
      try {
        const read = this.client.readAll({ direction: FORWARDS, fromPosition: from ?? START, maxCount: this.pageSize });
        for await (const resolved of drain(read)) {
          seen++;
          const position = toPosition(resolved.event?.position);
          // fromPosition is inclusive in ESDB, exclusive for us.
          if (!position || !isAfter(position, from)) continue;
          if (to && isAfter(position, to)) return;
          last = position;
          const event = toRecordedEvent(resolved);
          if (!event || !matchesFilter(event, opts.filter)) continue;
          yield event;
          if (--remaining <= 0) return;
        }
      } catch (err) {
        if (from && isInvalidPosition(err)) throw new InvalidCursorError(positionToCursor(from));
        throw wrapError(err);
      }
      if (seen < this.pageSize || !last) return;
      from = last;
    }
  }

  subscribe(opts: SubscribeOptions): Subscription {
    const { server, client } = subscriptionFilter(opts.filter);
    const from = opts.from;
    const after = typeof from === 'object' ? from : undefined;
    const source = this.client.subscribeToAll({ fromPosition: from === 'start' ? START : from === 'end' ? END : from, filter: server });
    const sub: EsdbSubscription = new EsdbSubscription(
      source,
      (e) => isAfter(e.position, after) && matchesFilter(e, client),
      () => this.subscriptions.delete(sub),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async headPosition(): Promise<Position | undefined> {
    // The newest event that is not a system event: page backwards from the end.
    let from: Position | undefined;
    try {
      for (;;) {
        let seen = 0;
        const read = this.client.readAll({ direction: BACKWARDS, fromPosition: from ?? END, maxCount: this.pageSize });
        for await (const resolved of drain(read)) {
          seen++;
          const position = toPosition(resolved.event?.position);
          if (!position) continue;
          if (from && !isAfter(from, position)) continue;
          from = position;
          if (toRecordedEvent(resolved)) return position;
        }
        if (seen < this.pageSize) return undefined;
      }
    } catch (err) {
      throw wrapError(err);
    }
  }

  async ping(): Promise<void> {
    try {
      for await (const _ of drain(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, deadline: this.pingTimeoutMs }))) break;
    } catch (err) {
      throw wrapError(err);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** The position of a stream's event at `revision`, if the server reports one. */
  private async positionOf(stream: string, revision: bigint): Promise<Position | undefined> {
    try {
      for await (const resolved of drain(this.client.readStream(stream, { fromRevision: revision, maxCount: 1, direction: FORWARDS }))) {
        return toPosition(resolved.event?.position);
      }
    } catch (err) {
      throw wrapError(err);
    }
    return undefined;
  }
}

/** Iterates a client read and cancels the gRPC call when the consumer stops early. */
async function* drain<T>(read: StreamingRead<T>): AsyncGenerator<T> {
  let finished = false;
  try {
    for await (const item of read) yield item;
    finished = true;
  } finally {
    if (!finished) void read.cancel().catch(() => undefined);
  }
}

const CLOSED: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Wraps subscribeToAll: keeps our events only, and close() ends a waiting iterator at once. */
class EsdbSubscription implements Subscription {
  private iterator: AsyncGenerator<RecordedEvent> | undefined;
  private closed = false;
  private scanned: Position | undefined;
  private readonly closedSignal: Promise<typeof CLOSED>;
  private signalClosed!: () => void;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly keep: (event: RecordedEvent) => boolean,
    private readonly onClose: () => void,
  ) {
    this.closedSignal = new Promise((resolve) => {
      this.signalClosed = () => resolve(CLOSED);
    });
    // Errors surface through the iterator; this only keeps an unread failure from crashing the process.
    source.on('error', () => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signalClosed();
    this.onClose();
    await this.source.unsubscribe().catch(() => undefined);
    this.source.destroy();
  }

  checkpoint(): Position | undefined {
    return this.scanned;
  }

  /** Every call returns the same iterator: a subscription is one stream of events. */
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const it = this.source[Symbol.asyncIterator]();
    try {
      while (!this.closed) {
        const pending = it.next();
        pending.catch(() => undefined); // abandoned when close() wins the race
        const next = await Promise.race([pending, this.closedSignal]);
        if (next.done || this.closed) return;
        const event = toRecordedEvent(next.value);
        if (event && this.keep(event)) yield event;
        this.scanned = toPosition(next.value.event?.position) ?? this.scanned;
      }
    } catch (err) {
      if (this.closed) return;
      throw wrapError(err);
    } finally {
      await this.close();
    }
  }
}
