// The NDJSON form an offline verification reads (audit:verify --export, tools/facetrail-verify.mjs):
// one event per line, in global order,
//   { "treeIndex": 12, "leafHash": "<b64u>"?, "position": "<cursor>", "id", "stream", "revision": "3",
//     "type", "recordedAt": "<ISO>", "data": <as stored>, "metadata": <as stored>, "stored"?: { data, metadata } }
// (when `stored` is present it is the stored form and data/metadata are the opened view: the
// canonical form always covers the stored one). An event not notarised yet has no treeIndex.
// Lines of the form { "checkpoint": <Checkpoint JSON> } are signed checkpoints carried along.

import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { CanonicalInput } from './canonical.js';
import { fastExportLine, type FastLine } from './canonical-bytes.js';
import type { CheckpointJson, LogEntry } from './verify-log.js';

export const MAX_EXPORT_LINE_CHARS = 16 * 1024 * 1024;

export class ExportLineError extends Error {
  override readonly name = 'ExportLineError';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export type ExportLine = { kind: 'event'; entry: LogEntry } | { kind: 'checkpoint'; checkpoint: CheckpointJson };

const str = (o: Record<string, unknown>, k: string, line: number): string => {
  const v = o[k];
  if (typeof v !== 'string') throw new ExportLineError(line, `${k} must be a string`);
  return v;
};

export function parseExportLine(text: string, line: number): ExportLine {
  if (text.length > MAX_EXPORT_LINE_CHARS) throw new ExportLineError(line, `longer than ${MAX_EXPORT_LINE_CHARS} characters`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new ExportLineError(line, 'not JSON');
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ExportLineError(line, 'not a JSON object');
  const obj = o as Record<string, unknown>;
  if ('checkpoint' in obj) {
    const cp = obj['checkpoint'];
    if (!cp || typeof cp !== 'object') throw new ExportLineError(line, 'checkpoint must be an object');
    return { kind: 'checkpoint', checkpoint: cp as CheckpointJson };
  }
  const ti = obj['treeIndex'];
  if (ti !== undefined && ti !== null && (typeof ti !== 'number' || !Number.isSafeInteger(ti) || ti < 0)) throw new ExportLineError(line, 'treeIndex must be a non-negative integer');
  const lh = obj['leafHash'];
  if (lh !== undefined && (typeof lh !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(lh))) throw new ExportLineError(line, 'leafHash must be a base64url SHA-256');
  const stored = obj['stored'];
  if (stored !== undefined && (!stored || typeof stored !== 'object')) throw new ExportLineError(line, 'stored must be an object');
  const form = (stored ?? obj) as Record<string, unknown>;
  if (!('data' in form) || !('metadata' in form)) throw new ExportLineError(line, 'data and metadata are required');
  return {
    kind: 'event',
    entry: {
      position: str(obj, 'position', line),
      treeIndex: typeof ti === 'number' ? ti : undefined,
      recordedLeaf: typeof lh === 'string' ? Buffer.from(lh, 'base64url') : undefined,
      event: {
        id: str(obj, 'id', line),
        stream: str(obj, 'stream', line),
        revision: str(obj, 'revision', line),
        type: str(obj, 'type', line),
        recordedAt: str(obj, 'recordedAt', line),
        data: form['data'],
        metadata: form['metadata'],
      },
    },
  };
}

/** A string member's value from its JSON text (with the quotes) in the line. */
function jsonString(buf: Buffer, from: number, to: number): string {
  const raw = buf.toString('latin1', from, to);
  return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/** An event line read by the fast path: the leaf is computed; the fields are decoded when asked for. */
class FastEvent implements CanonicalInput {
  constructor(private readonly buf: Buffer, private readonly f: FastLine) {}
  get id(): string { return jsonString(this.buf, this.f.id0, this.f.id1); }
  get stream(): string { return jsonString(this.buf, this.f.stream0, this.f.stream1); }
  get revision(): string { return jsonString(this.buf, this.f.revision0, this.f.revision1); }
  get type(): string { return jsonString(this.buf, this.f.type0, this.f.type1); }
  get recordedAt(): string { return jsonString(this.buf, this.f.recordedAt0, this.f.recordedAt1); }
  get data(): unknown { return JSON.parse(this.buf.toString('latin1', this.f.data0, this.f.data1)) as unknown; }
  get metadata(): unknown { return JSON.parse(this.buf.toString('latin1', this.f.metadata0, this.f.metadata1)) as unknown; }
}

class FastEntry implements LogEntry {
  readonly treeIndex: number | undefined;
  readonly recordedLeaf: Buffer | undefined;
  readonly leaf: Buffer;
  constructor(private readonly buf: Buffer, private readonly f: FastLine) {
    this.treeIndex = f.treeIndex >= 0 ? f.treeIndex : undefined;
    this.recordedLeaf = f.leafHash0 >= 0 ? Buffer.from(buf.toString('latin1', f.leafHash0, f.leafHash0 + 43), 'base64url') : undefined;
    this.leaf = f.leaf;
  }
  get position(): string { return jsonString(this.buf, this.f.position0, this.f.position1); }
  get event(): CanonicalInput { return new FastEvent(this.buf, this.f); }
}

const CHUNK_BYTES = 4 << 20;

/** An unfinished line longer than the limit (in characters, as the text reader counted them). */
function tooLong(part: Buffer, line: number): void {
  const n = part.length;
  if (n > MAX_EXPORT_LINE_CHARS && (n > 3 * MAX_EXPORT_LINE_CHARS || new StringDecoder('utf8').write(part).length > MAX_EXPORT_LINE_CHARS)) {
    throw new ExportLineError(line, `longer than ${MAX_EXPORT_LINE_CHARS} characters`);
  }
}

/**
 * The events of an export file, in order; checkpoint trailer lines go to `onCheckpoint`.
 * Lines are split as bytes; a line the fast path takes (src/notary/canonical-bytes.ts: plain ASCII
 * JSON in the form JSON.stringify writes, the common case) comes with its leaf hash computed from
 * its bytes, any other line is decoded and read by parseExportLine as before: the same entries,
 * the same errors at the same line numbers.
 */
export async function* readExportFile(path: string, onCheckpoint: (cp: CheckpointJson) => void): AsyncGenerator<LogEntry> {
  const fh = await open(path, 'r');
  let reading: Promise<Buffer> | undefined;
  try {
    let n = 0;
    // One line [from, to) of `view` (a trailing CR already cut off): an entry, or undefined (blank, checkpoint).
    const line = (view: Buffer, from: number, to: number): LogEntry | undefined => {
      n++;
      if (to - from <= MAX_EXPORT_LINE_CHARS) {
        const fast = fastExportLine(view, from, to);
        if (fast) return new FastEntry(view, fast);
      }
      const text = view.toString('utf8', from, to);
      if (text.length === 0 || text.trim() === '') return undefined;
      const l = parseExportLine(text, n);
      if (l.kind === 'checkpoint') {
        onCheckpoint(l.checkpoint);
        return undefined;
      }
      return l.entry;
    };
    const cut = (view: Buffer, from: number, nl: number) => (nl > from && view[nl - 1] === 0x0d ? nl - 1 : nl);
    // Chunks are read at explicit offsets, the next one while this one is worked on; every chunk is
    // a buffer of its own (entries keep theirs alive), a line across two is joined in a third.
    let pos = 0;
    const read = async (): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
      pos += bytesRead;
      return buf.subarray(0, bytesRead);
    };
    let carry: Buffer | undefined; // the unfinished line at the end of the last chunk
    reading = read();
    for (;;) {
      const chunk = await reading;
      reading = undefined;
      if (chunk.length === 0) {
        if (carry) {
          const last = line(carry, 0, carry.length);
          if (last) yield last;
        }
        return;
      }
      reading = read();
      let start = 0;
      if (carry) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          carry = Buffer.concat([carry, chunk]);
          tooLong(carry, n + 1);
          continue;
        }
        const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
        carry = undefined;
        start = nl + 1;
        const entry = line(joined, 0, joined.length > 0 && joined[joined.length - 1] === 0x0d ? joined.length - 1 : joined.length);
        if (entry) yield entry;
      }
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const entry = line(chunk, start, cut(chunk, start, nl));
        start = nl + 1;
        if (entry) yield entry;
      }
      if (start < chunk.length) {
        carry = chunk.subarray(start);
        tooLong(carry, n + 1);
      }
    }
  } finally {
    await reading?.catch(() => undefined);
    await fh.close();
  }
}
