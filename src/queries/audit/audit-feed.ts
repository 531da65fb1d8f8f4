// The auditors' view of the event log (issue 7): the global feed in commit order with opaque
// cursors, one stream's history, and a lazily paged export. Read over the EventStore port only, so
// it works with either adapter; no HTTP here (src/http/routes/audit.ts serves it).
//
// Paging never skips or repeats an event, even while appends run: the port's global order is
// stable (a reader only sees an event once every event before it in that order is visible), so
// "the events after cursor c" is a fixed sequence and a page is a prefix of it.

import { START, comparePositions, positionToCursor, type Position } from '../../eventstore/position.js';
import type { EventFilter, EventStore, RecordedEvent } from '../../eventstore/types.js';

/** What the API shows of an event: revision as a decimal string, position as a cursor. */
export interface AuditEvent {
  id: string;
  stream: string;
  revision: string;
  position: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface FeedQuery {
  /** Exclusive: the events after this position; the start of the log when missing. */
  after?: Position;
  limit: number;
  /** Event types (the store's filter; checked while paging on EventStoreDB, see page()). */
  types?: string[];
  /** Stream name prefix (the store's filter; checked while paging on EventStoreDB, see page()). */
  streamPrefix?: string;
  /** metadata.actor.id (filtered while paging). */
  actorId?: string;
  /** Inclusive bounds on recordedAt (filtered while paging). */
  from?: Date;
  to?: Date;
}

export interface FeedPage {
  events: AuditEvent[];
  /**
   * Where the next page starts: the last event scanned (returned, or skipped by an in-code filter);
   * when the page read everything up to the head noted at its start, that head (so a filter that
   * matches nothing still moves the cursor on); else the input cursor. Polling with it never skips
   * or repeats.
   */
  nextCursor: string;
}

export const MAX_FEED_LIMIT = 1000;
export const DEFAULT_FEED_LIMIT = 100;
/**
 * The most events one feed request reads when it filters in code: by actor or time, and on
 * EventStoreDB by type or stream too (see page()). A page that reaches it ends early, with a
 * cursor at the last event scanned.
 */
export const DEFAULT_SCAN_BOUND = 10_000;
export const EXPORT_PAGE_SIZE = 1000;

const REDACTED = '[redacted]';
/** Secrets that events carry for the write side, never shown to auditors. */
const SECRET_KEYS = new Set(['passwordHash']);

function redact(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(data)) {
    if (SECRET_KEYS.has(key)) {
      out ??= { ...(data as Record<string, unknown>) };
      out[key] = REDACTED;
    }
  }
  return out ?? data;
}

export function toAuditEvent(e: RecordedEvent): AuditEvent {
  return {
    id: e.id,
    stream: e.stream,
    revision: e.revision.toString(),
    position: positionToCursor(e.position),
    type: e.type,
    data: redact(e.data),
    metadata: e.metadata,
    recordedAt: e.recordedAt.toISOString(),
  };
}

export class AuditFeed {
  constructor(
    private readonly store: EventStore,
    private readonly opts: { scanBound?: number; exportPageSize?: number } = {},
  ) {}

  async page(q: FeedQuery): Promise<FeedPage> {
    const limit = Math.max(1, Math.min(MAX_FEED_LIMIT, Math.trunc(q.limit)));
    const filter: EventFilter = {};
    if (q.types && q.types.length > 0) filter.eventTypes = q.types;
    if (q.streamPrefix !== undefined && q.streamPrefix !== '') filter.streamPrefixes = [q.streamPrefix];
    // EventStoreDB's client (6.2.1) filters $all client-side: a filtered read scans every event up
    // to the head whatever it matches, and maxCount counts matches only. There the store's filter
    // is applied here instead, over an unfiltered read counted against the scan bound, so a page
    // scans at most the bound and continues from its cursor (PostgreSQL filters in the server).
    const filterHere = this.store.kind === 'esdb' && (filter.eventTypes !== undefined || filter.streamPrefixes !== undefined);
    const inCode = filterHere || q.actorId !== undefined || q.from !== undefined || q.to !== undefined;
    const scanBound = Math.max(limit, this.opts.scanBound ?? DEFAULT_SCAN_BOUND);

    const events: AuditEvent[] = [];
    const after = q.after ?? START;
    // Each page reads up to the head noted now, never on into events appended meanwhile.
    const head = await this.store.headPosition();
    if (!head || comparePositions(head, after) <= 0) return { events, nextCursor: positionToCursor(after) };
    let last: Position | undefined;
    let read = 0;
    const maxCount = inCode ? scanBound : limit;
    let full = false;
    for await (const e of this.store.readAll({ from: after, to: head, maxCount, ...(filterHere ? {} : { filter }) })) {
      last = e.position;
      read++;
      if (!inCode || ((!filterHere || matchesStoreFilter(e, filter)) && matches(e, q))) {
        events.push(toAuditEvent(e));
        if (events.length >= limit) {
          full = true;
          break;
        }
      }
    }
    // The read ended below its count: every event up to the head was scanned (those the store's
    // filter dropped included), so the next page starts at the head, not at the last match.
    const exhausted = !full && read < maxCount;
    return { events, nextCursor: positionToCursor(exhausted ? head : (last ?? after)) };
  }

  /** One stream's events from `fromRevision` (inclusive), at most `limit`. */
  async stream(stream: string, fromRevision: bigint, limit: number): Promise<{ events: AuditEvent[]; nextRevision: string | null }> {
    const events: AuditEvent[] = [];
    let more = false;
    for await (const e of this.store.readStream(stream, { fromRevision, maxCount: limit + 1 })) {
      if (events.length === limit) {
        more = true;
        break;
      }
      events.push(toAuditEvent(e));
    }
    const last = events.at(-1);
    return { events, nextRevision: more && last ? (BigInt(last.revision) + 1n).toString() : null };
  }

  /**
   * Every event after `after`, one page read from the store at a time and only when the consumer
   * asks for more (an async generator is pulled, never pushed): memory stays constant however long
   * the log is. Ends once a page comes back short (caught up with the log's head).
   */
  async *export(after: Position | undefined): AsyncGenerator<AuditEvent> {
    const pageSize = this.opts.exportPageSize ?? EXPORT_PAGE_SIZE;
    let from = after ?? START;
    for (;;) {
      let n = 0;
      for await (const e of this.store.readAll({ from, maxCount: pageSize })) {
        n++;
        from = e.position;
        yield toAuditEvent(e);
      }
      if (n < pageSize) return;
    }
  }
}

/** The store's filter as page() applies it in code (as the port defines it: empty lists do not filter). */
function matchesStoreFilter(e: RecordedEvent, filter: EventFilter): boolean {
  if (filter.eventTypes && filter.eventTypes.length > 0 && !filter.eventTypes.includes(e.type)) return false;
  if (filter.streamPrefixes && filter.streamPrefixes.length > 0 && !filter.streamPrefixes.some((p) => e.stream.startsWith(p))) return false;
  return true;
}

function matches(e: RecordedEvent, q: FeedQuery): boolean {
  if (q.actorId !== undefined && e.metadata.actor?.id !== q.actorId) return false;
  const at = e.recordedAt.getTime();
  if (q.from !== undefined && at < q.from.getTime()) return false;
  if (q.to !== undefined && at > q.to.getTime()) return false;
  return true;
}
