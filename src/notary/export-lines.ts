// The NDJSON form an offline verification reads (audit:verify --export, tools/facetrail-verify.mjs):
// one event per line, in global order,
//   { "treeIndex": 12, "leafHash": "<b64u>"?, "position": "<cursor>", "id", "stream", "revision": "3",
//     "type", "recordedAt": "<ISO>", "data": <as stored>, "metadata": <as stored>, "stored"?: { data, metadata } }
// (when `stored` is present it is the stored form and data/metadata are the opened view: the
// canonical form always covers the stored one). An event not notarised yet has no treeIndex.
// Lines of the form { "checkpoint": <Checkpoint JSON> } are signed checkpoints carried along.

import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StringDecoder } from 'node:string_decoder';
import type { CanonicalInput } from './canonical.js';
import { fastExportLine, type FastLine } from './canonical-bytes.js';
import { LINE_INTS, type ThreadJob, type ThreadReply } from './export-thread-protocol.js';
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

/** The FastLine of line record q of a thread's reply, its offsets moved by `at` (where its bytes start in the chunk). */
function fastLineOf(v: Float64Array, q: number, at: number, leaf: Buffer): FastLine {
  const o = (k: number) => at + v[q + k]!;
  return {
    treeIndex: v[q + 3]!, leafHash0: v[q + 4]! >= 0 ? o(4) : -1,
    position0: o(5), position1: o(6),
    id0: o(7), id1: o(8),
    stream0: o(9), stream1: o(10),
    revision0: o(11), revision1: o(12),
    type0: o(13), type1: o(14),
    recordedAt0: o(15), recordedAt1: o(16),
    data0: o(17), data1: o(18),
    metadata0: o(19), metadata1: o(20),
    leaf,
  };
}

/** An unfinished line longer than the limit (in characters, as the text reader counted them). */
function tooLong(part: Buffer, line: number): void {
  const n = part.length;
  if (n > MAX_EXPORT_LINE_CHARS && (n > 3 * MAX_EXPORT_LINE_CHARS || new StringDecoder('utf8').write(part).length > MAX_EXPORT_LINE_CHARS)) {
    throw new ExportLineError(line, `longer than ${MAX_EXPORT_LINE_CHARS} characters`);
  }
}

// ---------- the helper thread ----------
// On a machine with two cores or more, a file of THREAD_MIN_BYTES or more may be read by two
// threads (src/notary/export-thread.ts): of a chunk, the main thread takes the first lines and the
// worker a copy of the rest (the same fast path); the entries still come in order.
// The worker only hashes: any line it does not take, and every decision, is the main thread's; if
// it fails, the main thread reads its lines itself. Whether it pays is measured as it goes (see
// wantThread): on a machine whose other core is busy it does not, and chunks are read alone.

// (its start costs a few hundred ms of CPU under tsx: not worth it for a small file)
const THREAD_MIN_BYTES = 128 << 20;
// The main thread's share of a chunk, adjusted chunk by chunk so that neither thread waits long for
// the other (it also runs verifyLog and the tree; on a busy machine the worker may get little CPU).
const MAIN_SHARE = 0.45;
const PROBE_EVERY = 16;

const entryIsTs = import.meta.url.endsWith('.ts');
const THREAD_BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApiUrl) (await import(workerData.tsxApiUrl)).register();
  await import(workerData.entryUrl);
})().catch((err) => { console.error(err); process.exit(1); });
`;

function tsxEsmApiUrl(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}

class HelperThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (r: ThreadReply) => void; reject: (e: Error) => void }>();
  #next = 1;
  #failed: Error | undefined;
  #ready = false;
  #onReady: () => void = () => undefined;
  /** Settles when the thread has booted (or failed). */
  readonly booted = new Promise<void>((resolve) => {
    this.#onReady = resolve;
  });
  /** The main thread's share of the next chunk. */
  share = MAIN_SHARE;

  /** always: share every chunk once booted (tests), no probing. */
  constructor(private readonly always = false) {
    const entryUrl = new URL(`./export-thread.${entryIsTs ? 'ts' : 'js'}`, import.meta.url).href;
    this.#worker = new Worker(THREAD_BOOT, { eval: true, workerData: { entryUrl, tsxApiUrl: entryIsTs ? tsxEsmApiUrl() : undefined } });
    this.#worker.unref();
    this.#worker.on('message', (r: ThreadReply | { ready: true }) => {
      if ('ready' in r) {
        this.#ready = true;
        this.#onReady();
        return;
      }
      const w = this.#waiting.get(r.id);
      this.#waiting.delete(r.id);
      w?.resolve(r);
    });
    const fail = (err: Error) => {
      this.#failed = err;
      this.#onReady();
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`export thread exited (${code})`)));
  }

  // Whether the thread pays is measured, not assumed (another process may hold the other core): of
  // every PROBE_EVERY chunks one is read alone and one with the thread, the others the faster way.
  #chunks = 0;
  #soloRate = 0;
  #threadRate = 0;

  wantThread(): boolean {
    if (this.always) return true;
    const k = this.#chunks++ % PROBE_EVERY;
    if (k === 0) return false;
    if (k === 1) return true;
    return this.#threadRate >= this.#soloRate;
  }

  record(threaded: boolean, bytes: number, ms: number): void {
    if (ms <= 0) return;
    if (threaded) this.#threadRate = bytes / ms;
    else this.#soloRate = bytes / ms;
  }

  /** Booted and not failed: worth a job. */
  get usable(): boolean {
    return this.#ready && this.#failed === undefined;
  }

  /** Hands over a copy of `lines` (whole lines). */
  run(lines: Uint8Array): Promise<ThreadReply> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    const bytes = new Uint8Array(lines);
    const job: ThreadJob = { id, bytes };
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(job, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

/**
 * The events of an export file, in order; checkpoint trailer lines go to `onCheckpoint`.
 * Lines are split as bytes; a line the fast path takes (src/notary/canonical-bytes.ts: plain ASCII
 * JSON in the form JSON.stringify writes, the common case) comes with its leaf hash computed from
 * its bytes, any other line is decoded and read by parseExportLine as before: the same entries,
 * the same errors at the same line numbers.
 */
export async function* readExportFile(file: string, onCheckpoint: (cp: CheckpointJson) => void, opts: { thread?: boolean; threadAlways?: boolean } = {}): AsyncGenerator<LogEntry> {
  const fh = await open(file, 'r');
  let reading: Promise<Buffer> | undefined;
  let helper: HelperThread | undefined;
  try {
    const useThread = opts.thread ?? (os.availableParallelism() > 1 && (await fh.stat()).size >= THREAD_MIN_BYTES);
    if (useThread) helper = new HelperThread(opts.threadAlways === true);
    if (helper && opts.threadAlways) await helper.booted;
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
      // with the helper: its share of the chunk's whole lines goes to it first
      let job: Promise<ThreadReply | undefined> | undefined;
      let split = chunk.length;
      let jobEnd = 0;
      let mainStarted = 0;
      let mainStartByte = 0;
      const chunkStarted = performance.now();
      const threaded = helper?.usable === true && helper.wantThread();
      if (threaded && helper) {
        jobEnd = chunk.lastIndexOf(0x0a) + 1;
        mainStarted = performance.now();
        const at = jobEnd > start ? chunk.indexOf(0x0a, start + Math.floor((jobEnd - start) * helper.share)) : -1;
        if (at >= 0 && at + 1 < jobEnd) {
          split = at + 1;
          job = helper.run(chunk.subarray(split, jobEnd)).catch(() => undefined);
          mainStartByte = start;
        }
      }
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0 && nl < split; nl = chunk.indexOf(0x0a, start)) {
        const entry = line(chunk, start, cut(chunk, start, nl));
        start = nl + 1;
        if (entry) yield entry;
      }
      if (job && helper) {
        const mainMs = performance.now() - mainStarted;
        const r = await job;
        if (r) {
          // balance: the share that would have made both finish together, smoothed
          const mainRate = mainMs > 0 ? (split - mainStartByte) / mainMs : 0;
          const threadRate = r.ms > 0 ? (jobEnd - split) / r.ms : 0;
          if (mainRate > 0 && threadRate > 0) {
            const best = mainRate / (mainRate + threadRate);
            helper.share = Math.min(0.95, Math.max(0.2, 0.7 * helper.share + 0.3 * best));
          }
          const ints = new Float64Array(r.ints);
          const leaves = Buffer.from(r.leaves, r.leavesOffset, r.count * 32);
          for (let k = 0; k < r.count; k++) {
            const q = k * LINE_INTS;
            let entry: LogEntry | undefined;
            if (ints[q + 2] === 1) {
              n++;
              entry = new FastEntry(chunk, fastLineOf(ints, q, split, leaves.subarray(k * 32, k * 32 + 32)));
            } else {
              entry = line(chunk, split + ints[q]!, split + ints[q + 1]!);
            }
            if (entry) yield entry;
          }
          start = jobEnd;
        }
        // (no reply: the thread failed; the lines it had are read below)
        for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
          const entry = line(chunk, start, cut(chunk, start, nl));
          start = nl + 1;
          if (entry) yield entry;
        }
      }
      if (helper?.usable) helper.record(threaded, chunk.length, performance.now() - chunkStarted);
      if (start < chunk.length) {
        carry = chunk.subarray(start);
        tooLong(carry, n + 1);
      }
    }
  } finally {
    await reading?.catch(() => undefined);
    await helper?.close();
    await fh.close();
  }
}
