// The EventStoreDB adapter (EVENT_STORE_URL=esdb://…). Needs EventStoreDB >= 22.6 (positions on
// stream reads; an older server is refused by checkServer, at start-up or at the latest before the
// first operation). Same contract as the PostgreSQL store, except where ESDB's own rules differ:
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
  type AppendResult as EsdbAppendResult,
  type JSONType,
  type StreamingRead,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, InvalidEventError, WrongExpectedRevisionError } from '../errors.js';
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
import { EsdbSubscription, type ScannedEntry } from './esdb-subscription.js';
import { withDeadline } from './deadline.js';
import { withoutBatchAppend } from './without-batch-append.js';
import {
  EsdbServerTooOldError,
  fromEsdbActualRevision,
  isAfter,
  isInvalidPosition,
  isZeroPosition,
  matchesFilter,
  subscriptionFilter,
  toEsdbExpectedRevision,
  toPosition,
  toRecordedEvent,
  wrapError,
} from './mapping.js';

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
  /** How long a subscription's consumer waits on nothing before the tail is scanned for its checkpoint, in ms. */
  idleScanMs?: number;
}

/** The URL's host list without credentials or options, for messages (esdb://u:p@h1:2113,h2?tls=false -> h1:2113,h2). */
export function esdbServerName(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1) || 'no host';
}

export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  readonly limits: AppendLimits;
  private readonly client: EventStoreDBClient;
  private readonly pageSize: number;
  private readonly pingTimeoutMs: number;
  private readonly idleScanMs: number;
  private readonly subscriptions = new Set<Subscription>();
  /** Settles once every from-'end' subscription started so far knows its start (see subscribe). */
  private appendGate: Promise<void> = Promise.resolve();
  private readonly serverName: string;
  /** The server check (checkServer): passed, refused for good, or running (forgotten when it fails otherwise). */
  private serverChecked = false;
  private serverRefused: EsdbServerTooOldError | undefined;
  private serverCheck: Promise<void> | undefined;

  constructor(url: string, opts: EsdbEventStoreOptions = {}) {
    this.client = withoutBatchAppend(EventStoreDBClient.connectionString(url));
    this.serverName = esdbServerName(url);
    this.pageSize = opts.pageSize ?? 512;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 5_000;
    const maxAppendBytes = opts.maxAppendBytes ?? ESDB_DEFAULT_MAX_APPEND_BYTES;
    // The server counts the whole append; one event can be no larger than the append.
    this.limits = Object.freeze({ ...DEFAULT_APPEND_LIMITS, appendMaxBytes: maxAppendBytes, eventMaxBytes: Math.min(DEFAULT_APPEND_LIMITS.eventMaxBytes, maxAppendBytes) });
    this.idleScanMs = opts.idleScanMs ?? 250;
  }

  async append(stream: string, events: NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    const prepared = prepareAppend(stream, events, opts.expectedRevision, this.limits);
    // ESDB treats `$` types as system events, which every reader here skips: refuse, do not lose them.
    const hidden = prepared.events.findIndex((e) => e.type.startsWith('$'));
    if (hidden >= 0) throw new InvalidEventError('invalid_event_type', `event #${hidden}: type must not start with $ (reserved for EventStoreDB system events)`);
    const data = prepared.events.map((e) =>
      jsonEvent({ id: e.id, type: e.type, data: JSON.parse(e.dataJson) as JSONType, metadata: JSON.parse(e.metadataJson) as JSONType }),
    );
    await this.checkServer();
    await this.appendGate;
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
    await this.checkServer();
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
    await this.checkServer();
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
    const { server } = subscriptionFilter(opts.filter);
    const from = opts.from;
    // 'end' is the head at this call, not whatever END is when the server gets to the request:
    // read it now, and hold this store's appends until it is known, so none of them falls before it.
    // Nothing is delivered before the server check has passed (checkServer).
    const start: Promise<Position | 'start'> =
      from === 'end' ? this.holdAppends(this.checkServer().then(() => this.newestEvent()).then((head) => head?.position ?? 'start')) : this.checkServer().then(() => from);
    const sub: EsdbSubscription = new EsdbSubscription({
      start,
      filter: opts.filter,
      open: (fromPosition, checkpointReached) =>
        this.client.subscribeToAll({ fromPosition: fromPosition === 'start' ? START : fromPosition, filter: { ...server, checkpointReached } }),
      scan: (after, maxCount) => this.scanAll(after, maxCount),
      idleScanMs: this.idleScanMs,
      idleScanMax: this.pageSize,
      onClose: () => this.subscriptions.delete(sub),
    });
    this.subscriptions.add(sub);
    return sub;
  }

  /** Appends that start while `pending` runs wait for it (settled either way). */
  private holdAppends<T>(pending: Promise<T>): Promise<T> {
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    const previous = this.appendGate;
    this.appendGate = Promise.all([previous, settled]).then(() => undefined);
    return pending;
  }

  /** Every entry of $all after `after` (system ones too), at most `maxCount`: the idle scan of a subscription. */
  private async *scanAll(after: Position | undefined, maxCount: number): AsyncGenerator<ScannedEntry> {
    try {
      for await (const resolved of drain(this.client.readAll({ direction: FORWARDS, fromPosition: after ?? START, maxCount: maxCount + 1 }))) {
        const position = toPosition(resolved.event?.position);
        if (!position || !isAfter(position, after)) continue;
        yield { position, event: toRecordedEvent(resolved) };
      }
    } catch (err) {
      throw wrapError(err);
    }
  }

  async headPosition(): Promise<Position | undefined> {
    await this.checkServer();
    return (await this.newestEvent())?.position;
  }

  /**
   * Refuses a server that reports 0-0 positions on stream reads (older than 22.6), on which every
   * position would compare as caught up: reads the newest event of ours from $all and the same
   * event from its stream, and compares the positions. An empty log passes (there is nothing to
   * compare; the first stream read with a 0-0 position is refused by toRecordedEvent). Every
   * operation awaits this first (see there); it runs once and is kept once it passed or refused,
   * and is run again by the next operation when it failed otherwise (the server unreachable), so
   * an unreachable server at start-up delays the check to the first successful connection, never
   * past it. Rejects with EsdbServerTooOldError or, while the server cannot be reached, the
   * connection error.
   */
  checkServer(): Promise<void> {
    if (this.serverChecked) return Promise.resolve();
    if (this.serverRefused) return Promise.reject(this.serverRefused);
    this.serverCheck ??= this.probePositions().then(
      () => {
        this.serverChecked = true;
      },
      (err: unknown) => {
        this.serverCheck = undefined;
        if (err instanceof EsdbServerTooOldError) this.serverRefused = err;
        throw wrapError(err);
      },
    );
    return this.serverCheck;
  }

  private async probePositions(): Promise<void> {
    const newest = await this.newestEvent();
    if (!newest) return;
    try {
      for await (const resolved of drain(this.client.readStream(newest.stream, { fromRevision: newest.revision, maxCount: 1, direction: FORWARDS }))) {
        const position = toPosition(resolved.event?.position);
        if (!position || isZeroPosition(position)) throw new EsdbServerTooOldError(`event ${newest.id} of '${newest.stream}' (at ${positionToCursor(newest.position)} in $all)`, this.serverName);
        return;
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return; // deleted meanwhile: nothing to compare
      if (err instanceof EsdbServerTooOldError) throw err;
      throw wrapError(err);
    }
  }

  /** The newest event that is not a system event (page backwards from the end of $all). */
  private async newestEvent(): Promise<RecordedEvent | undefined> {
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
          const event = toRecordedEvent(resolved);
          if (event) return event;
        }
        if (seen < this.pageSize) return undefined;
      }
    } catch (err) {
      throw wrapError(err);
    }
  }

  async ping(): Promise<void> {
    if (this.serverRefused) throw this.serverRefused;
    // The client's reads ignore a deadline (it passes Infinity) and wait for a connection as long
    // as it takes: bound the whole probe here, and cancel the read when the bound wins.
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    read.on('error', () => undefined); // reported through the iterator or superseded by the bound
    const probe = (async () => {
      for await (const _ of drain(read)) break;
    })();
    try {
      await withDeadline(probe, this.pingTimeoutMs, () => {
        void read.cancel().catch(() => undefined);
        return new EventStoreUnavailableError(`EventStoreDB did not answer a ping within ${this.pingTimeoutMs} ms`);
      });
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
        const position = toPosition(resolved.event?.position);
        if (position && isZeroPosition(position)) throw new EsdbServerTooOldError(`the event at revision ${revision} of '${stream}'`, this.serverName);
        return position;
      }
    } catch (err) {
      if (err instanceof EsdbServerTooOldError) throw err;
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
