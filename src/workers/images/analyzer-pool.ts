// Runs face analyses on a pool of worker threads (one FaceAnalyzer each), keeping the main event
// loop free. Same surface as FaceAnalyzer: analyze(bytes, options), close().

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InferenceInputError, type InferenceInputErrorCode } from '../../inference/errors.js';
import type { AnalysisResult, AnalyzeOptions } from '../../inference/types.js';

interface Pending {
  resolve(result: AnalysisResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

type Reply = { ready: true } | { id: number; result: AnalysisResult } | { id: number; error: { message: string; inputCode?: InferenceInputErrorCode } };

// Under tsx (development, tests) the entry is TypeScript: register tsx's loader in the thread first.
const entryIsTs = import.meta.url.endsWith('.ts');
const entryUrl = new URL(`./analyzer-thread.${entryIsTs ? 'ts' : 'js'}`, import.meta.url).href;
const tsxApiUrl = entryIsTs ? tsxEsmApiUrl() : undefined;

/** The ESM entry of `tsx/esm/api`, from tsx's own exports map. */
function tsxEsmApiUrl(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}
const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApiUrl) (await import(workerData.tsxApiUrl)).register();
  await import(workerData.entryUrl);
})().catch((err) => { console.error(err); process.exit(1); });
`;

export class AnalyzerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { bytes: Uint8Array; options: AnalyzeOptions; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private readonly inflight = new Set<Promise<AnalysisResult>>();
  private nextId = 1;
  private closed = false;

  private constructor() {}

  static async create(opts: { size: number; threads?: number }): Promise<AnalyzerPool> {
    const pool = new AnalyzerPool();
    await Promise.all(Array.from({ length: Math.max(1, opts.size) }, () => pool.spawn(opts.threads)));
    return pool;
  }

  private spawn(threads: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(BOOT, { eval: true, workerData: { entryUrl, tsxApiUrl, threads } });
      const slot: Slot = { worker, busy: false };
      worker.on('message', (msg: Reply) => {
        if ('ready' in msg) {
          this.slots.push(slot);
          resolve();
          this.drain();
          return;
        }
        const job = this.pending.get(msg.id);
        if (!job) return;
        this.pending.delete(msg.id);
        slot.busy = false;
        if ('result' in msg) job.resolve(msg.result);
        else job.reject(msg.error.inputCode ? new InferenceInputError(msg.error.inputCode, msg.error.message) : new Error(msg.error.message));
        this.drain();
      });
      worker.on('error', (err) => {
        reject(err);
        this.fail(slot, err);
      });
      worker.on('exit', (code) => {
        const err = new Error(`analyzer thread exited with code ${code}`);
        reject(err); // before it was ready (e.g. no models): start-up fails instead of waiting forever
        if (!this.closed) this.fail(slot, err);
      });
    });
  }

  /** A dead thread fails its job; the pool keeps working with the others. */
  private fail(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    for (const [id, job] of this.pending) {
      if (job.slot === slot) {
        this.pending.delete(id);
        job.reject(err);
      }
    }
    if (this.slots.length === 0) for (const q of this.queue.splice(0)) q.pending.reject(err);
  }

  analyze(bytes: Uint8Array, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    if (this.closed) return Promise.reject(new Error('the analyzer pool is closed'));
    if (this.slots.length === 0) return Promise.reject(new Error('no analyzer thread is running'));
    const promise = new Promise<AnalysisResult>((resolve, reject) => {
      this.queue.push({ bytes, options, pending: { resolve, reject } });
      this.drain();
    });
    this.inflight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inflight.delete(promise));
    return promise;
  }

  private drain(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const next = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      this.pending.set(id, { ...next.pending, slot });
      slot.worker.postMessage({ id, bytes: next.bytes, options: next.options });
    }
  }

  /** Waits for the analyses in hand, then stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queue.splice(0)) q.pending.reject(new Error('the analyzer pool is closed'));
    await Promise.allSettled(this.inflight);
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.worker.once('exit', () => resolve());
            slot.worker.postMessage({ close: true });
          }),
      ),
    );
  }
}
