// Pure translations between @eventstore/db-client and our event store port (no I/O).

import {
  ANY,
  DeadlineExceededError,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  TimeoutError,
  UnavailableError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Filter,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../errors.js';
import { comparePositions, type Position } from '../position.js';
import type { EventFilter, ExpectedRevision, RecordedEvent } from '../types.js';

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return expected;
}

/** The client reports a missing stream as 'no_stream' and otherwise the last revision. */
export function fromEsdbActualRevision(actual: bigint | string): bigint | 'no_stream' {
  return typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';
}

/** ESDB's `{commit, prepare}` is our Position; copies it so callers never share the client's object. */
export function toPosition(p: { commit: bigint; prepare: bigint } | undefined): Position | undefined {
  return p === undefined ? undefined : { commit: p.commit, prepare: p.prepare };
}

/** System streams and events (`$…`) never reach our readers; our stream names cannot start with `$`. */
export function isSystem(stream: string, type: string): boolean {
  return stream.startsWith('$') || type.startsWith('$');
}

/** 0-0: what EventStoreDB older than 22.6 reports as the position of an event read from a stream. */
export function isZeroPosition(p: Position): boolean {
  return p.commit === 0n && p.prepare === 0n;
}

/**
 * The server reports no log positions on stream reads (0-0: EventStoreDB older than 22.6), so
 * every position of ours would compare as "caught up": refused, at start-up when the server can be
 * reached (EsdbEventStore.checkServer) and at the latest before the first operation.
 */
export class EsdbServerTooOldError extends Error {
  readonly code = 'esdb_server_too_old';
  constructor(what: string, server?: string) {
    super(
      `EventStoreDB${server ? ` at ${server}` : ''} returned ${what} without a log position (0-0: servers older than 22.6 report none on stream reads); ` +
        'facetrail needs EventStoreDB >= 22.6, since with 0-0 positions every read-your-writes wait would pass at once. Upgrade the server or point EVENT_STORE_URL at one that is >= 22.6.',
    );
    this.name = 'EsdbServerTooOldError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Maps a resolved event; undefined for links without their target, non-JSON and system events. */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || !e.isJson || isSystem(e.streamId, e.type)) return undefined;
  const position = toPosition(e.position);
  // Stream reads carry positions only on EventStoreDB >= 22.6.
  // Older servers send 0-0 instead; no event of ours sits there (the log starts with system records).
  if (!position || isZeroPosition(position)) throw new EsdbServerTooOldError(`event ${e.id} of '${e.streamId}'`);
  return {
    id: e.id,
    stream: e.streamId,
    revision: e.revision,
    position,
    type: e.type,
    data: e.data,
    metadata: isPlainObject(e.metadata) ? e.metadata : {},
    recordedAt: e.created,
  };
}

function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

/** Client-side form of EventFilter, as the PostgreSQL adapter applies it (empty lists do not filter). */
export function matchesFilter(event: Pick<RecordedEvent, 'stream' | 'type'>, filter: EventFilter | undefined): boolean {
  const prefixes = nonEmpty(filter?.streamPrefixes);
  if (prefixes && !prefixes.some((p) => event.stream.startsWith(p))) return false;
  const types = nonEmpty(filter?.eventTypes);
  if (types && !types.includes(event.type)) return false;
  return true;
}

/** True when `event` lies strictly after `from` (positions given as cursors are exclusive). */
export function isAfter(position: Position, from: Position | undefined): boolean {
  return from === undefined || comparePositions(position, from) > 0;
}

/** An exact-match regex for event types (ESDB's type filter only knows prefixes and regexes). */
export function exactTypesRegex(types: string[]): string {
  return `^(?:${types.map((t) => t.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('|')})$`;
}

export interface SubscriptionFilter {
  /** Sent to the server; never lets system events through, except from `$` streams matched by a prefix. */
  server: Filter;
  /** What the server filter cannot express; checked on each event (as are system events). */
  client: EventFilter | undefined;
}

/**
 * ESDB filters on one attribute per subscription: stream prefixes (usually the narrower) go to the
 * server and event types are checked client side; event types alone become an exact-match regex.
 */
export function subscriptionFilter(filter: EventFilter | undefined): SubscriptionFilter {
  const listed = nonEmpty(filter?.streamPrefixes);
  // An empty prefix matches every stream, i.e. does not filter.
  const prefixes = listed?.includes('') ? undefined : listed;
  const types = nonEmpty(filter?.eventTypes);
  if (prefixes) return { server: streamNameFilter({ prefixes }), client: types ? { eventTypes: types } : undefined };
  if (types) return { server: eventTypeFilter({ regex: exactTypesRegex(types) }), client: undefined };
  return { server: excludeSystemEvents(), client: undefined };
}

/**
 * The server's answer to a read from a position that names no record (InvalidPosition): the
 * client has no class for it and reports an UnknownError (gRPC OUT_OF_RANGE or the message).
 */
export function isInvalidPosition(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (err as { code?: unknown }).code === GRPC_OUT_OF_RANGE || /invalid[ _-]?position/i.test(err.message);
}
const GRPC_OUT_OF_RANGE = 11;

const UNAVAILABLE_MESSAGE = /Failed to discover|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|No connection established|UNAVAILABLE/i;

export function isUnavailable(err: unknown): boolean {
  if (err instanceof UnavailableError || err instanceof DeadlineExceededError || err instanceof TimeoutError || err instanceof NotLeaderError) return true;
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message);
}

/** Connection trouble becomes EventStoreUnavailableError; anything else is returned unchanged. */
export function wrapError(err: unknown): unknown {
  if (err instanceof EventStoreUnavailableError || !isUnavailable(err)) return err;
  return new EventStoreUnavailableError(`EventStoreDB unavailable: ${(err as Error).message}`, { cause: err });
}
