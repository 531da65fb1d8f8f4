// Input checks shared by every adapter, run before anything is sent to the store so that a bad
// append writes nothing. Serialises data and metadata once; adapters reuse the JSON text.

import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors.js';
import { InvalidCursorError, POSITION_PART_MAX, positionToCursor, type Position } from './position.js';
import type { AppendLimits, ExpectedRevision, NewEvent, ReadAllOptions } from './types.js';

export type { AppendLimits } from './types.js';

export const LIMITS = Object.freeze({
  streamNameMaxLength: 200,
  eventTypeMaxLength: 128,
  eventMaxBytes: 1024 * 1024,
  eventsPerAppend: 1000,
  /** The PostgreSQL store's bound (one append is one transaction of es.append_batch). */
  appendMaxBytes: 16 * 1024 * 1024,
});

/** The PostgreSQL store's limits. */
export const DEFAULT_APPEND_LIMITS: AppendLimits = Object.freeze({
  eventMaxBytes: LIMITS.eventMaxBytes,
  eventsPerAppend: LIMITS.eventsPerAppend,
  appendMaxBytes: LIMITS.appendMaxBytes,
});

/** EventStoreDB's default MaxAppendSize (1 MiB); a server configured otherwise: ESDB_MAX_APPEND_BYTES. */
export const ESDB_DEFAULT_MAX_APPEND_BYTES = 1024 * 1024;

/** The size an event counts for (see AppendLimits). */
export function eventBytes(type: string, dataJson: string, metadataJson: string): number {
  return Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson) + 2 * type.length;
}

export interface PreparedEvent {
  id: string;
  type: string;
  dataJson: string;
  metadataJson: string;
  bytes: number;
}

export interface PreparedAppend {
  stream: string;
  expected: ExpectedRevision;
  events: PreparedEvent[];
  bytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// A JSON escape PostgreSQL's jsonb rejects (NUL, lone surrogates), not preceded by an escaped backslash.
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export function validateStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidEventError('invalid_stream_name', 'stream name must be a non-empty string');
  }
  if (stream.length > LIMITS.streamNameMaxLength) {
    throw new InvalidEventError('invalid_stream_name', `stream name is longer than ${LIMITS.streamNameMaxLength} characters`);
  }
  if (CONTROL.test(stream) || stream.startsWith('$') || stream.trim() !== stream) {
    throw new InvalidEventError('invalid_stream_name', 'stream name must not contain control characters, start with $ or have surrounding spaces');
  }
  return stream;
}

function validateExpected(expected: unknown): ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return expected;
  if (typeof expected === 'bigint' && expected >= 0n && expected < 1n << 63n) return expected;
  throw new InvalidEventError('invalid_expected_revision', `expected revision must be 'any', 'no_stream', 'stream_exists' or a bigint >= 0`);
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidEventError('event_not_serializable', `${what} is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (json === undefined) throw new InvalidEventError('event_not_serializable', `${what} is not JSON-serialisable`);
  if (UNSTORABLE_ESCAPE.test(json)) {
    throw new InvalidEventError('event_not_serializable', `${what} contains a NUL character or a lone UTF-16 surrogate`);
  }
  return json;
}

export function prepareEvent(event: NewEvent, index: number, limits: AppendLimits = DEFAULT_APPEND_LIMITS): PreparedEvent {
  if (event === null || typeof event !== 'object') {
    throw new InvalidEventError('invalid_event_type', `event #${index} is not an object`);
  }
  const { type } = event;
  if (typeof type !== 'string' || type.length === 0 || type.length > LIMITS.eventTypeMaxLength || CONTROL.test(type) || type.trim() !== type || type.startsWith('$')) {
    throw new InvalidEventError('invalid_event_type', `event #${index}: type must be a non-empty string of at most ${LIMITS.eventTypeMaxLength} printable characters, not starting with $ (reserved for system events)`);
  }
  const id = event.id ?? randomUUID();
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new InvalidEventError('invalid_event_id', `event #${index}: id must be a UUID`);
  }
  const metadata = event.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidEventError('event_not_serializable', `event #${index}: metadata must be an object`);
  }
  const dataJson = toJson(event.data, `event #${index} data`);
  const metadataJson = toJson(metadata, `event #${index} metadata`);
  const bytes = eventBytes(type, dataJson, metadataJson);
  if (bytes > limits.eventMaxBytes) {
    throw new InvalidEventError('event_too_large', `event #${index} is ${bytes} bytes, over the limit of ${limits.eventMaxBytes}`);
  }
  return { id: id.toLowerCase(), type, dataJson, metadataJson, bytes };
}

export function prepareAppend(stream: string, events: NewEvent[], expected: ExpectedRevision | undefined, limits: AppendLimits = DEFAULT_APPEND_LIMITS): PreparedAppend {
  validateStreamName(stream);
  const exp = validateExpected(expected ?? 'any');
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventError('empty_append', 'an append needs at least one event');
  }
  if (events.length > limits.eventsPerAppend) {
    throw new InvalidEventError('append_too_large', `an append holds at most ${limits.eventsPerAppend} events`);
  }
  const prepared = events.map((e, i) => prepareEvent(e, i, limits));
  const ids = new Set(prepared.map((e) => e.id));
  if (ids.size !== prepared.length) {
    throw new InvalidEventError('invalid_event_id', 'two events of one append share an id');
  }
  const bytes = prepared.reduce((n, e) => n + e.bytes, 0);
  if (bytes > limits.appendMaxBytes) {
    throw new InvalidEventError('append_too_large', `the append is ${bytes} bytes, over the limit of ${limits.appendMaxBytes}`);
  }
  return { stream, expected: exp, events: prepared, bytes };
}

function validPosition(p: Position): boolean {
  const ok = (v: unknown) => typeof v === 'bigint' && v >= 0n && v <= POSITION_PART_MAX;
  return p !== null && typeof p === 'object' && ok(p.commit) && ok(p.prepare);
}

/**
 * A position handed to readAll that no store could hold (negative, too large, not bigints) is an
 * invalid cursor (400 invalid_cursor), refused before any I/O — not a database error (500).
 */
export function validateReadAll(opts: ReadAllOptions): void {
  for (const p of [opts.from, opts.to]) {
    if (p !== undefined && !validPosition(p)) {
      const text = p !== null && typeof p === 'object' ? positionToCursor(p) : String(p);
      throw new InvalidCursorError(text);
    }
  }
}
