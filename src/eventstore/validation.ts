// Input checks shared by every adapter, run before anything is sent to the store so that a bad
// append writes nothing. Serialises data and metadata once; adapters reuse the JSON text.

import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors.js';
import type { ExpectedRevision, NewEvent } from './types.js';

export const LIMITS = Object.freeze({
  streamNameMaxLength: 200,
  eventTypeMaxLength: 128,
  /** Serialised data + metadata of one event, in UTF-8 bytes. */
  eventMaxBytes: 1024 * 1024,
  eventsPerAppend: 1000,
  appendMaxBytes: 16 * 1024 * 1024,
});

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

export function prepareEvent(event: NewEvent, index: number): PreparedEvent {
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
  const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
  if (bytes > LIMITS.eventMaxBytes) {
    throw new InvalidEventError('event_too_large', `event #${index} is ${bytes} bytes, over the limit of ${LIMITS.eventMaxBytes}`);
  }
  return { id: id.toLowerCase(), type, dataJson, metadataJson, bytes };
}

export function prepareAppend(stream: string, events: NewEvent[], expected: ExpectedRevision | undefined): PreparedAppend {
  validateStreamName(stream);
  const exp = validateExpected(expected ?? 'any');
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventError('empty_append', 'an append needs at least one event');
  }
  if (events.length > LIMITS.eventsPerAppend) {
    throw new InvalidEventError('append_too_large', `an append holds at most ${LIMITS.eventsPerAppend} events`);
  }
  const prepared = events.map(prepareEvent);
  const ids = new Set(prepared.map((e) => e.id));
  if (ids.size !== prepared.length) {
    throw new InvalidEventError('invalid_event_id', 'two events of one append share an id');
  }
  const bytes = prepared.reduce((n, e) => n + e.bytes, 0);
  if (bytes > LIMITS.appendMaxBytes) {
    throw new InvalidEventError('append_too_large', `the append is ${bytes} bytes, over the limit of ${LIMITS.appendMaxBytes}`);
  }
  return { stream, expected: exp, events: prepared, bytes };
}
