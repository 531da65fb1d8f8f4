// The canonical form of an event, the bytes a notary leaf hashes (issue 16, DESIGN.md §11):
// UTF-8 of the RFC 8785 (JCS) serialisation of
//   { id, stream, revision: <decimal string>, type, data, metadata, recordedAt: <ISO-8601 ms> }
// with data and metadata as stored (sealed fields as their {"$sealed": …} envelopes). The notary,
// audit:verify (online and offline) and tools/facetrail-verify.mjs (a plain-JS copy) compute it alike.
//
// JCS here: object members sorted by their names' UTF-16 code units (what Array#sort does on
// strings), no whitespace, strings as JSON.stringify writes them, numbers as ECMAScript's
// Number#toString (JSON.stringify of a finite number); non-finite numbers, bigints and other
// non-JSON values are refused rather than silently dropped or altered.

import type { RecordedEvent } from '../eventstore/types.js';

/** What the canonical form covers; a RecordedEvent is one, and so is an export line's fields. */
export interface CanonicalInput {
  id: string;
  stream: string;
  revision: bigint | string;
  type: string;
  data: unknown;
  metadata: unknown;
  recordedAt: Date | string;
}

export class CanonicalFormError extends Error {
  override readonly name = 'CanonicalFormError';
}

const MAX_DEPTH = 256;

function write(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalFormError(`non-finite number ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalFormError(`a ${typeof value} has no JSON form`);
  }
  if (depth >= MAX_DEPTH) throw new CanonicalFormError(`value nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      // JSON writes a hole or undefined in an array as null.
      out += item === undefined ? 'null' : write(item, depth + 1);
    }
    return out + ']';
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalFormError(`a ${(value).constructor?.name ?? 'non-plain object'} has no canonical JSON form`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue; // absent in JSON, as JSON.stringify leaves it out
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + write(v, depth + 1);
  }
  return out + '}';
}

/** RFC 8785 serialisation of a JSON value. */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** The canonical bytes of an event (the notary's leaf input). */
export function canonicalEvent(e: RecordedEvent | CanonicalInput): Buffer {
  const recordedAt = typeof e.recordedAt === 'string' ? e.recordedAt : e.recordedAt.toISOString();
  const revision = typeof e.revision === 'string' ? e.revision : e.revision.toString();
  if (!/^(0|[1-9][0-9]*)$/.test(revision)) throw new CanonicalFormError(`revision ${JSON.stringify(revision)} is not a decimal integer`);
  // Members in sorted order: data, id, metadata, recordedAt, revision, stream, type.
  const text =
    '{"data":' + write(e.data, 1) +
    ',"id":' + JSON.stringify(e.id) +
    ',"metadata":' + write(e.metadata, 1) +
    ',"recordedAt":' + JSON.stringify(recordedAt) +
    ',"revision":' + JSON.stringify(revision) +
    ',"stream":' + JSON.stringify(e.stream) +
    ',"type":' + JSON.stringify(e.type) +
    '}';
  return Buffer.from(text, 'utf8');
}
