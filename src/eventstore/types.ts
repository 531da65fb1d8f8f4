// The event store port (DESIGN.md §3). Both adapters (postgres/, esdb/) implement it and pass the
// same contract suite (tests/integration/eventstore/).

import type pg from 'pg';
import type { Position } from './position.js';

export type { Position } from './position.js';

/**
 * What one append may hold. Sizes count an event as EventStoreDB's MaxAppendSize does
 * (validation.ts, eventBytes): the UTF-8 bytes of its serialised data and metadata plus two bytes
 * per UTF-16 unit of its type. Each adapter states its own (EventStore.limits) and validates
 * against them before any I/O, so an oversize append fails the same way (append_too_large) on
 * every store and writes nothing.
 */
export interface AppendLimits {
  /** One event (data + metadata + type). */
  readonly eventMaxBytes: number;
  readonly eventsPerAppend: number;
  /** The whole append (the sum over its events). */
  readonly appendMaxBytes: number;
}

/** The revision a stream must be at for an append to succeed (revisions are 0-based). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Carried by every event; the command side fills it (see src/commands). */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  /** Who caused the event: a user id with its role, or a system component. */
  actor?: { id: string; role?: string; kind?: 'user' | 'system' | 'worker' };
  schemaVersion?: number;
  [key: string]: unknown;
}

export interface NewEvent {
  /** A UUID; generated when missing. Re-appending an id already in the stream is a no-op. */
  id?: string;
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  stream: string;
  revision: bigint;
  position: Position;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append (pass it as the next expectedRevision). */
  nextRevision: bigint;
  /** Position of the append's last event in the global log. */
  position: Position;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** Inclusive; defaults to the first event (forwards) or the last one (backwards). */
  fromRevision?: bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

/** Server-side filter for the global log. Omitted fields do not filter. */
export interface EventFilter {
  /** Keep events whose stream name starts with one of these prefixes. */
  streamPrefixes?: string[];
  /** Keep events of these types. */
  eventTypes?: string[];
  /**
   * Per event type, top-level `data` fields the reader does not need (e.g. an analysis's faces
   * when only their count matters). A store may leave them out of `data` to save transfer and
   * parsing — the PostgreSQL adapter does, server-side — or deliver them anyway (EventStoreDB):
   * readers must handle both. Never affects which events are delivered.
   */
  omitData?: Readonly<Record<string, readonly string[]>>;
}

export interface ReadAllOptions {
  /** Exclusive: the events after this position. Defaults to the start of the log. */
  from?: Position;
  /**
   * Inclusive upper bound: only the events at or before this position; the read ends at the first
   * event after it, without scanning on (e.g. to the head noted when a rebuild's swap starts, so a
   * filter that matches nothing past it does not read the rest of the log).
   */
  to?: Position;
  /** The most events yielded (matches of the filter). */
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeOptions {
  /** 'start': every event; 'end': only events appended from now on; a position: events after it. */
  from: Position | 'start' | 'end';
  filter?: EventFilter;
}

/** A catch-up subscription: yields history first, then live events, until close(). */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * A position such that every event at or before it that matches the filter has already been
   * delivered (consumed) — it moves past filtered-out events too. Consumers store it as their
   * checkpoint while idle, so a read-your-writes wait for an event they do not care about ends.
   */
  checkpoint(): Position | undefined;
}

export interface EventStore {
  /** Which adapter this is, for logs and /readyz. */
  readonly kind: 'postgres' | 'esdb';
  /** What one append may hold on this store (validation.ts); a larger one fails with append_too_large / event_too_large before any I/O. */
  readonly limits: AppendLimits;
  append(stream: string, events: NewEvent[], opts?: AppendOptions): Promise<AppendResult>;
  readStream(stream: string, opts?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  readAll(opts?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribe(opts: SubscribeOptions): Subscription;
  /** The position of the newest event readers can see, or undefined for an empty log. */
  headPosition(): Promise<Position | undefined>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Present when the log is kept in the read models' own database (the PostgreSQL store). */
  readonly localData?: LocalEventData;
  /**
   * Present when the store seals personal data (src/privacy wraps every adapter with it): the data
   * keys a use case creates before it records personal data for a new subject or image.
   */
  readonly dataKeys?: DataKeys;
}

/** The key a use case needs before it appends personal data (src/privacy/key-store.ts implements it). */
export interface DataKeys {
  /**
   * Creates the live data key of a scope unless it exists (a subject's, or an image's under its
   * owner). Refuses (subject_erased / consent_required) for an erased scope or a consent withdrawn
   * since the caller saw `consentWithdrawals` withdrawals of that purpose.
   */
  ensureKey(scope: { purpose: 'profile' | 'content' | 'face_analysis' | 'face_recognition'; subjectId: string; imageId?: string; consentWithdrawals?: number }): Promise<string>;
  /** A keyed hash of `value` under a named, stable system secret (e.g. an e-mail claim's stream name). */
  keyedHash(secretName: string, value: string): Promise<string>;
  /**
   * A read model's copies of personal data, sealed under the live key of the scope they were read
   * from (src/privacy/sealed-copies.ts): shredding that key ends the copies too. Undefined when the
   * scope has no live key (erased since the event was read): keep nothing.
   */
  sealCopies(scope: { purpose: 'face_analysis'; imageId: string }, items: readonly { aad: string; plaintext: Buffer }[]): Promise<{ kid: string; sealed: Buffer[] } | undefined>;
  /** The copies' plaintexts (null: the key is shredded). */
  openCopies(items: readonly { kid: string; sealed: Buffer; aad: string }[]): Promise<(Buffer | null)[]>;
}

/** Where a query runs: the caller's transaction (a client) or a pool. */
export type SqlClient = Pick<pg.ClientBase, 'query'>;

/** A stored event a read model means: its id, and the stream and type it must have. */
export interface StoredEventRef {
  id: string;
  stream: string;
  type: string;
}

/**
 * A capability beside the port: the log's events kept in the database of the read models, so a
 * read model may refer to a stored event instead of copying its data, and a read query may read
 * that data back. Only the PostgreSQL store has it (EventStore.localData); without it readers
 * keep copies. Nothing outside the adapter runs SQL on the store's tables: it goes through here.
 */
export interface LocalEventData {
  /** Of these events, those stored here as they are named (id, stream and type; one index lookup each), seen from `db`. */
  storedIds(db: SqlClient, refs: readonly StoredEventRef[]): Promise<Set<string>>;
  /** The length of the JSON array `data.<field>` of each stored event of `type` among `ids` (absent: not stored here, or no array). */
  arrayLengths(db: SqlClient, type: string, field: string, ids: readonly string[]): Promise<Map<string, number>>;
  /**
   * A SQL expression for a read query: `data.<field>` (jsonb) of the stored event whose id is the
   * uuid expression `eventId` (e.g. a column of the query), null when there is none.
   */
  dataField(eventId: string, field: string): string;
  /**
   * The events after `after` (in log order) in streams that start with one of `streamPrefixes`
   * (any stream when undefined): how many, counted up to `cap + 1`, and when the first was recorded.
   */
  eventsAfter(db: SqlClient, after: Position, streamPrefixes: readonly string[] | undefined, cap: number): Promise<{ count: number; firstRecordedAt: Date | undefined }>;
}
