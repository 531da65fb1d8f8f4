// The export reader's fast path (audit:verify --export): one NDJSON line's bytes straight to the
// event's leaf hash, SHA-256(0x00 ‖ RFC 8785 canonical form), without JSON.parse, without building
// the canonical text as a string and without re-encoding it. It is a shortcut, not a second
// definition: it takes only lines whose canonical form is a rearrangement of their own bytes, and
// gives up (returns undefined; the caller then takes the slow path, parseExportLine +
// eventLeafHash, errors included) on anything else:
//   - a byte >= 0x80 (UTF-8 decoding, U+FFFD replacement, ordering by UTF-16 units stay the slow
//     path's), any byte < 0x20 (a raw control character, or tab/CR/LF whitespace), a backslash
//     (an escape: JSON.stringify's own ones included, they go the slow way);
//   - a number whose text is not Number#toString of its value (1.0, 1e3, -0, 0.10, 1e999 …);
//   - a malformed token, trailing bytes, duplicate member names (JSON.parse keeps the last),
//     nesting deeper than MAX_DEPTH;
//   - top level: a `checkpoint` line, a duplicated member, treeIndex other than absent / null /
//     a plain safe integer, leafHash other than 43 base64url characters, a non-string
//     position/id/stream/revision/type/recordedAt, a revision that is not a decimal integer,
//     `stored` that is not an object, data or metadata missing.
// What is left is the form JSON.stringify writes for ASCII data (what an export is), where a
// string's canonical text is its bytes and a member name's order is its bytes' order.
// tests/unit/notary/canonical-bytes.test.ts checks it against the slow path, case by case and on
// random documents.
//
// The canonical text is kept as a list of byte ranges of the line (reordering an object's members
// moves ranges, not bytes) and copied once, behind the 0x00, into the buffer that is hashed.

import { hash } from 'node:crypto';

const MAX_DEPTH = 200; // below canonical.ts's 256: deeper documents take the slow path and its error
const FAIL = -1;

let b: Uint8Array = new Uint8Array(0); // the line's buffer
let end = 0; // the line's end (exclusive)
// the canonical text so far: ranges [seg[2k], seg[2k + 1]) of b
let seg = new Int32Array(4096);
let ns = 0; // number of ranges
let tmpSeg = new Int32Array(4096);
let fin = Buffer.allocUnsafe(1 << 16); // 0x00 ‖ canonical bytes

// true: the next emit starts a range of its own (a member, a comma or a top-level value: what may move)
let fresh = true;

/** Appends bytes [s, e) of the line to the canonical text (extending the last range when contiguous). */
function emit(s: number, e: number): void {
  if (!fresh && seg[2 * ns - 1] === s) {
    seg[2 * ns - 1] = e;
    return;
  }
  fresh = false;
  if (2 * ns + 2 > seg.length) {
    const bigger = new Int32Array(seg.length * 2);
    bigger.set(seg);
    seg = bigger;
  }
  seg[2 * ns] = s;
  seg[2 * ns + 1] = e;
  ns++;
}

const sp = (i: number) => {
  while (i < end && b[i] === 0x20) i++;
  return i;
};

/** The index after the closing quote of the string at i (no backslash or control byte in the line: the next quote). */
function stringEnd(i: number): number {
  let j = i + 1;
  const stop = Math.min(end, j + 72);
  while (j < stop) {
    if (b[j] === 0x22) return j + 1;
    j++;
  }
  if (j >= end) return FAIL;
  // a long one (a ciphertext, say): memchr
  const q = (b as Buffer).indexOf(0x22, j);
  return q < 0 || q >= end ? FAIL : q + 1;
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

function number(i: number): number {
  const start = i;
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return FAIL;
  let plain = true;
  if (b[i] === 0x2e) {
    plain = false;
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    plain = false;
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  if (i > end) return FAIL;
  const digits = i - start - (b[start] === 0x2d ? 1 : 0);
  // A plain integer of at most 15 digits is exactly a double and prints as written, but for "-0".
  if (!(plain && digits <= 15 && !(digits === 1 && b[start] === 0x2d && b[start + 1] === 0x30))) {
    let text = '';
    for (let k = start; k < i; k++) text += String.fromCharCode(b[k]!);
    // JSON.stringify of the parsed (finite) value, or the slow path
    if (String(Number(text)) !== text) return FAIL;
  }
  emit(start, i);
  return i;
}

function literal(i: number, w: readonly number[]): number {
  for (let k = 0; k < w.length; k++) if (b[i + k] !== w[k]) return FAIL;
  if (i + w.length > end) return FAIL;
  emit(i, i + w.length);
  return i + w.length;
}
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Compares the member names at [a0, a1) and [b0, b1) of the line (ASCII, no escapes: bytes = UTF-16 units). */
function cmpNames(a0: number, a1: number, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let k = 0; k < n; k++) {
    const d = b[a0 + k]! - b[b0 + k]!;
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}

/** Emits the canonical form of the value at i; the index after it, or FAIL. */
function value(i: number, depth: number): number {
  const c = b[i];
  if (c === 0x22) {
    const j = stringEnd(i);
    if (j !== FAIL) emit(i, j);
    return j;
  }
  if (c === 0x7b) return object(i, depth);
  if (c === 0x5b) return array(i, depth);
  if (c === 0x74) return literal(i, TRUE);
  if (c === 0x66) return literal(i, FALSE);
  if (c === 0x6e) return literal(i, NULL);
  if (c === 0x2d || isDigit(c)) return number(i);
  return FAIL;
}

function array(i: number, depth: number): number {
  if (depth >= MAX_DEPTH) return FAIL;
  emit(i, i + 1);
  i = sp(i + 1);
  if (b[i] === 0x5d) {
    emit(i, i + 1);
    return i + 1;
  }
  for (;;) {
    i = value(i, depth + 1);
    if (i === FAIL) return FAIL;
    i = sp(i);
    const c = b[i];
    if (c === 0x2c) {
      emit(i, i + 1);
      i = sp(i + 1);
    } else if (c === 0x5d) {
      emit(i, i + 1);
      return i + 1;
    } else return FAIL;
  }
}

// members of the objects being read: name start, name end (inside the quotes), first range, range end
let mem = new Int32Array(1024);
let nm = 0;

function object(i: number, depth: number): number {
  if (depth >= MAX_DEPTH) return FAIL;
  emit(i, i + 1);
  i = sp(i + 1);
  if (b[i] === 0x7d) {
    emit(i, i + 1);
    return i + 1;
  }
  const first = nm;
  let sorted = true;
  let comma = -1;
  for (;;) {
    if (b[i] !== 0x22) return FAIL;
    const k1 = stringEnd(i);
    if (k1 === FAIL) return FAIL;
    if (nm > first) {
      const d = cmpNames(mem[4 * nm - 4]!, mem[4 * nm - 3]!, i + 1, k1 - 1);
      if (d === 0) return FAIL; // a duplicate name: JSON.parse keeps the last, the slow path's business
      if (d > 0) sorted = false;
    }
    if (4 * nm + 4 > mem.length) {
      const bigger = new Int32Array(mem.length * 2);
      bigger.set(mem);
      mem = bigger;
    }
    const me = nm++;
    mem[4 * me] = i + 1;
    mem[4 * me + 1] = k1 - 1;
    const from = ns;
    fresh = true;
    emit(i, k1);
    i = sp(k1);
    if (b[i] !== 0x3a) return FAIL;
    emit(i, i + 1);
    i = value(sp(i + 1), depth + 1);
    if (i === FAIL) return FAIL;
    // the member's ranges: from its name's (a range of its own) to its value's end
    mem[4 * me + 2] = from;
    mem[4 * me + 3] = ns;
    i = sp(i);
    const c = b[i];
    if (c === 0x2c) {
      comma = i;
      fresh = true;
      emit(i, i + 1);
      i = sp(i + 1);
    } else if (c === 0x7d) {
      break;
    } else return FAIL;
  }
  if (!sorted && !reorder(first, comma)) return FAIL;
  nm = first;
  emit(i, i + 1);
  return i + 1;
}

const order: number[] = [];

/**
 * Rewrites the ranges of the members mem[first .. nm) in name order, with commas between (each
 * member's ranges start with its name's, the commas are ranges of their own); false on a duplicate name.
 */
function reorder(first: number, comma: number): boolean {
  const count = nm - first;
  const idx = order;
  idx.length = 0;
  for (let k = 0; k < count; k++) idx.push(first + k);
  for (let k = 1; k < count; k++) {
    const v = idx[k]!;
    let j = k - 1;
    while (j >= 0 && cmpNames(mem[4 * idx[j]!]!, mem[4 * idx[j]! + 1]!, mem[4 * v]!, mem[4 * v + 1]!) > 0) {
      idx[j + 1] = idx[j]!;
      j--;
    }
    idx[j + 1] = v;
  }
  for (let k = 1; k < count; k++) {
    const x = idx[k - 1]!;
    const y = idx[k]!;
    if (cmpNames(mem[4 * x]!, mem[4 * x + 1]!, mem[4 * y]!, mem[4 * y + 1]!) === 0) return false;
  }
  // The ranges from the first member's: copied out, then written back member by member.
  const base = mem[4 * first + 2]!;
  const n = ns - base;
  if (tmpSeg.length < 2 * n) tmpSeg = new Int32Array(2 * n * 2);
  for (let k = 0; k < 2 * n; k++) tmpSeg[k] = seg[2 * base + k]!;
  ns = base;
  for (let k = 0; k < count; k++) {
    const x = idx[k]!;
    if (k > 0) {
      fresh = true;
      emit(comma, comma + 1);
    }
    fresh = true;
    const r0 = mem[4 * x + 2]! - base;
    const r1 = mem[4 * x + 3]! - base;
    for (let r = r0; r < r1; r++) emit(tmpSeg[2 * r]!, tmpSeg[2 * r + 1]!);
  }
  return true;
}

// ---------- one export line ----------

const name = (s: string): number[] => Array.from(s, (ch) => ch.charCodeAt(0));
const TOP = ['treeIndex', 'leafHash', 'position', 'id', 'stream', 'revision', 'type', 'recordedAt', 'data', 'metadata', 'stored', 'checkpoint'].map(name);
const T_TREE = 0, T_LEAF = 1, T_POS = 2, T_ID = 3, T_STREAM = 4, T_REV = 5, T_TYPE = 6, T_REC = 7, T_DATA = 8, T_META = 9, T_STORED = 10, T_CP = 11;

function which(k0: number, k1: number): number {
  const len = k1 - k0;
  outer: for (let t = 0; t < TOP.length; t++) {
    const w = TOP[t]!;
    if (w.length !== len) continue;
    for (let k = 0; k < len; k++) if (b[k0 + k] !== w[k]) continue outer;
    return t;
  }
  return -1;
}

/** What the fast path read off a line: spans in the line (string members: with their quotes) and the leaf. */
export interface FastLine {
  /** -1: no tree index (absent or null). */
  treeIndex: number;
  /** The recorded leaf hash's span start (inside the quotes, 43 bytes), or -1. */
  leafHash0: number;
  position0: number; position1: number;
  id0: number; id1: number;
  stream0: number; stream1: number;
  revision0: number; revision1: number;
  type0: number; type1: number;
  recordedAt0: number; recordedAt1: number;
  /** data and metadata as covered (stored's when present): spans of their JSON text in the line. */
  data0: number; data1: number;
  metadata0: number; metadata1: number;
  /** SHA-256(0x00 ‖ canonical form). */
  leaf: Buffer;
}

const HEAD = ['{"data":', ',"id":', ',"metadata":', ',"recordedAt":', ',"revision":', ',"stream":', ',"type":', '}'].map(name);

function put(bytes: readonly number[], w: number): number {
  for (let k = 0; k < bytes.length; k++) fin[w + k] = bytes[k]!;
  return w + bytes.length;
}
/** Copies ranges [r0, r1) of seg into fin at w. */
function putRanges(r0: number, r1: number, w: number): number {
  for (let r = r0; r < r1; r++) {
    const s = seg[2 * r]!;
    const e = seg[2 * r + 1]!;
    if (e - s < 64) {
      for (let k = s; k < e; k++) fin[w++] = b[k]!;
    } else {
      fin.set(b.subarray(s, e), w);
      w += e - s;
    }
  }
  return w;
}
function putSpan(s: number, e: number, w: number): number {
  for (let k = s; k < e; k++) fin[w++] = b[k]!;
  return w;
}

const plainByte = (c: number) => c >= 0x20 && c < 0x80 && c !== 0x5c;

/** True when every byte of [s, e) is ASCII, not a control byte (< 0x20) and not a backslash. */
function plainBytes(s: number, e: number): boolean {
  let k = s;
  while (k < e && ((b.byteOffset + k) & 3) !== 0) if (!plainByte(b[k++]!)) return false;
  if (e - k >= 8) {
    const words = new Uint32Array(b.buffer, b.byteOffset + k, (e - k) >>> 2);
    // four bytes at a time: a byte >= 0x80 has its top bit set; in a word of ASCII bytes, a byte
    // < 0x20 sets the top bit of (x - 0x20202020) & ~x, a byte 0x5c that of (y - 0x01010101) & ~y
    // for y = x ^ 0x5c5c5c5c (both exact as to "any")
    for (let w = 0; w < words.length; w++) {
      const x = words[w]!;
      const y = x ^ 0x5c5c5c5c;
      if ((x | ((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) return false;
    }
    k += words.length * 4;
  }
  while (k < e) if (!plainByte(b[k++]!)) return false;
  return true;
}

/**
 * The fast path over line [start, stop) of `line`: the leaf hash and the spans, or undefined when
 * it does not take the line (then parseExportLine + eventLeafHash decide, errors included).
 */
export function fastExportLine(line: Buffer, start: number, stop: number): FastLine | undefined {
  if (stop - start < 2) return undefined;
  b = line;
  end = stop;
  ns = 0;
  nm = 0;
  fresh = true;
  try {
    if (!plainBytes(start, stop)) return undefined;
    return top(start);
  } finally {
    b = fin; // do not keep the caller's buffer alive
  }
}

function top(i: number): FastLine | undefined {
  i = sp(i);
  if (b[i] !== 0x7b) return undefined;
  i = sp(i + 1);
  if (b[i] === 0x7d) return undefined;
  const s = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]; // value spans per member kind
  const e = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
  let seen = 0;
  let treeIndex = -1;
  // the canonical ranges of data and metadata (top level's, stored's)
  let cd0 = -1, cd1 = -1, cm0 = -1, cm1 = -1;
  let sd0 = -1, sd1 = -1, sm0 = -1, sm1 = -1;
  let jd0 = -1, jd1 = -1, jm0 = -1, jm1 = -1;
  for (;;) {
    if (b[i] !== 0x22) return undefined;
    const k1 = stringEnd(i);
    if (k1 === FAIL) return undefined;
    const t = which(i + 1, k1 - 1);
    i = sp(k1);
    if (b[i] !== 0x3a) return undefined;
    i = sp(i + 1);
    const v0 = i;
    if (t >= 0) {
      if ((seen & (1 << t)) !== 0) return undefined;
      seen |= 1 << t;
    }
    const c = b[i];
    if (t === T_CP) return undefined;
    if (t === T_TREE) {
      if (c === 0x6e) {
        if (b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return undefined;
        i += 4;
      } else {
        // a plain non-negative safe integer (at most 15 digits, no leading zero)
        let v = 0;
        const d0 = i;
        while (isDigit(b[i])) v = v * 10 + (b[i++]! - 0x30);
        const nd = i - d0;
        if (nd === 0 || nd > 15 || (nd > 1 && b[d0] === 0x30)) return undefined;
        const nx = b[i];
        if (nx === 0x2e || nx === 0x65 || nx === 0x45) return undefined;
        treeIndex = v;
      }
    } else if (t >= T_LEAF && t <= T_REC) {
      if (c !== 0x22) return undefined;
      const j = stringEnd(i);
      if (j === FAIL) return undefined;
      if (t === T_LEAF) {
        if (j - i !== 45) return undefined;
        for (let k = i + 1; k < j - 1; k++) {
          const x = b[k]!;
          if (!((x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a) || (x >= 0x30 && x <= 0x39) || x === 0x2d || x === 0x5f)) return undefined;
        }
      } else if (t === T_REV) {
        // a decimal integer with no leading zero (canonical.ts's check; anything else is its error)
        const n = j - i - 2;
        if (n === 0 || (n > 1 && b[i + 1] === 0x30)) return undefined;
        for (let k = i + 1; k < j - 1; k++) if (!isDigit(b[k])) return undefined;
      }
      i = j;
    } else if (t === T_STORED) {
      if (c !== 0x7b) return undefined;
      // stored: { data, metadata, … }
      i = sp(i + 1);
      if (b[i] === 0x7d) return undefined;
      let sseen = 0;
      for (;;) {
        if (b[i] !== 0x22) return undefined;
        const q1 = stringEnd(i);
        if (q1 === FAIL) return undefined;
        const u = which(i + 1, q1 - 1);
        i = sp(q1);
        if (b[i] !== 0x3a) return undefined;
        i = sp(i + 1);
        const w0 = i;
        const r0 = ns;
        fresh = true;
        i = value(i, 2);
        if (i === FAIL) return undefined;
        if (u === T_DATA || u === T_META) {
          if ((sseen & (1 << u)) !== 0) return undefined; // JSON.parse keeps the last: the slow path's
          sseen |= 1 << u;
          if (u === T_DATA) { sd0 = r0; sd1 = ns; jd0 = w0; jd1 = i; }
          else { sm0 = r0; sm1 = ns; jm0 = w0; jm1 = i; }
        }
        ns = u === T_DATA || u === T_META ? ns : r0; // another member: validated, not covered
        i = sp(i);
        if (b[i] === 0x2c) i = sp(i + 1);
        else if (b[i] === 0x7d) break;
        else return undefined;
      }
      i++;
      if (sd0 < 0 || sm0 < 0) return undefined;
    } else {
      // data, metadata, or a member the canonical form does not cover (validated only)
      const r0 = ns;
      fresh = true;
      i = value(i, 1);
      if (i === FAIL) return undefined;
      if (t === T_DATA) { cd0 = r0; cd1 = ns; }
      else if (t === T_META) { cm0 = r0; cm1 = ns; }
      else if (t < 0) ns = r0;
      else return undefined;
    }
    if (t >= 0) { s[t] = v0; e[t] = i; }
    i = sp(i);
    if (b[i] === 0x2c) i = sp(i + 1);
    else if (b[i] === 0x7d) break;
    else return undefined;
  }
  i = sp(i + 1);
  if (i !== end) return undefined;
  if (s[T_POS]! < 0 || s[T_ID]! < 0 || s[T_STREAM]! < 0 || s[T_REV]! < 0 || s[T_TYPE]! < 0 || s[T_REC]! < 0) return undefined;
  let d0: number, d1: number, m0: number, m1: number;
  if (s[T_STORED]! >= 0) {
    d0 = sd0; d1 = sd1; m0 = sm0; m1 = sm1;
  } else {
    if (cd0 < 0 || cm0 < 0) return undefined;
    d0 = cd0; d1 = cd1; m0 = cm0; m1 = cm1;
    jd0 = s[T_DATA]!; jd1 = e[T_DATA]!; jm0 = s[T_META]!; jm1 = e[T_META]!;
  }
  // 0x00 ‖ {"data":…,"id":…,"metadata":…,"recordedAt":…,"revision":…,"stream":…,"type":…}
  const need = 1 + 96 + (jd1 - jd0) + (jm1 - jm0) + (e[T_ID]! - s[T_ID]!) + (e[T_REC]! - s[T_REC]!) + (e[T_REV]! - s[T_REV]!) + (e[T_STREAM]! - s[T_STREAM]!) + (e[T_TYPE]! - s[T_TYPE]!);
  if (fin.length < need) fin = Buffer.allocUnsafe(Math.max(need, fin.length * 2));
  fin[0] = 0x00;
  let w = put(HEAD[0]!, 1);
  w = putRanges(d0, d1, w);
  w = put(HEAD[1]!, w);
  w = putSpan(s[T_ID]!, e[T_ID]!, w);
  w = put(HEAD[2]!, w);
  w = putRanges(m0, m1, w);
  w = put(HEAD[3]!, w);
  w = putSpan(s[T_REC]!, e[T_REC]!, w);
  w = put(HEAD[4]!, w);
  w = putSpan(s[T_REV]!, e[T_REV]!, w);
  w = put(HEAD[5]!, w);
  w = putSpan(s[T_STREAM]!, e[T_STREAM]!, w);
  w = put(HEAD[6]!, w);
  w = putSpan(s[T_TYPE]!, e[T_TYPE]!, w);
  w = put(HEAD[7]!, w);
  return {
    treeIndex,
    leafHash0: s[T_LEAF]! >= 0 ? s[T_LEAF]! + 1 : -1,
    position0: s[T_POS]!, position1: e[T_POS]!,
    id0: s[T_ID]!, id1: e[T_ID]!,
    stream0: s[T_STREAM]!, stream1: e[T_STREAM]!,
    revision0: s[T_REV]!, revision1: e[T_REV]!,
    type0: s[T_TYPE]!, type1: e[T_TYPE]!,
    recordedAt0: s[T_REC]!, recordedAt1: e[T_REC]!,
    data0: jd0, data1: jd1,
    metadata0: jm0, metadata1: jm1,
    leaf: hash('sha256', new Uint8Array(fin.buffer, fin.byteOffset, w), 'buffer'),
  };
}

/** The canonical text of one JSON value by the fast path's rules (for tests), or undefined where it gives up. */
export function fastCanonicalJson(text: string): string | undefined {
  const bytes = Buffer.from(text, 'utf8');
  b = bytes;
  end = bytes.length;
  ns = 0;
  nm = 0;
  fresh = true;
  try {
    if (!plainBytes(0, end)) return undefined;
    const i = value(sp(0), 0);
    if (i === FAIL || sp(i) !== end) return undefined;
    const parts: string[] = [];
    for (let r = 0; r < ns; r++) parts.push(bytes.toString('latin1', seg[2 * r], seg[2 * r + 1]));
    return parts.join('');
  } finally {
    b = fin;
  }
}
