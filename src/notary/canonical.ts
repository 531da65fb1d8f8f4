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

import { hash } from 'node:crypto';
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

// Characters JSON.stringify escapes (quote, backslash, controls) or may (lone surrogates): a string
// without any is written as is, the same bytes, without stringify's per-character copy.
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function write(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return str(value);
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
    out += str(k) + ':' + write(v, depth + 1);
  }
  return out + '}';
}

/** RFC 8785 serialisation of a JSON value. */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** The canonical bytes of an event (the notary's leaf input). */
export function canonicalEvent(e: RecordedEvent | CanonicalInput): Buffer {
  return Buffer.from(canonicalEventText(e), 'utf8');
}

/** The canonical form as a string (its UTF-8 is canonicalEvent). */
export function canonicalEventText(e: RecordedEvent | CanonicalInput): string {
  const recordedAt = typeof e.recordedAt === 'string' ? e.recordedAt : e.recordedAt.toISOString();
  const revision = typeof e.revision === 'string' ? e.revision : e.revision.toString();
  if (!/^(0|[1-9][0-9]*)$/.test(revision)) throw new CanonicalFormError(`revision ${JSON.stringify(revision)} is not a decimal integer`);
  // Members in sorted order: data, id, metadata, recordedAt, revision, stream, type.
  return (
    '{"data":' + write(e.data, 1) +
    ',"id":' + str(e.id) +
    ',"metadata":' + write(e.metadata, 1) +
    ',"recordedAt":' + str(recordedAt) +
    ',"revision":' + str(revision) +
    ',"stream":' + str(e.stream) +
    ',"type":' + str(e.type) +
    '}'
  );
}

// The leaf input written into one reused buffer (0x00, then the UTF-8 of the canonical text): no
// Buffer per event and one copy fewer than leafHash(canonicalEvent(e)), the same hash.
let scratch = Buffer.allocUnsafe(64 * 1024);

/** leafHash(canonicalEvent(e)), computed without an intermediate Buffer. */
export function eventLeafHash(e: RecordedEvent | CanonicalInput): Buffer {
  const text = canonicalEventText(e);
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (text.length * 3 + 1 > scratch.length) scratch = Buffer.allocUnsafe(Math.max(text.length * 3 + 1, scratch.length * 2));
  scratch[0] = 0x00;
  const n = scratch.write(text, 1, 'utf8');
  return hash('sha256', scratch.subarray(0, n + 1), 'buffer');
}
