// Progress of a replay: on a terminal a redrawn bar with events/s and ETA, otherwise a plain line
// every few seconds. The total is estimated from the log head: PostgreSQL global positions come
// from one sequence, so the head's sequence number is about the number of events in the log (an
// EventStoreDB position is a byte offset: the same ratio still gives the fraction done).

import type { Position } from '../eventstore/position.js';

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Plain lines this often when the stream is not a terminal. */
  lineEveryMs?: number;
}

export class ReplayProgress {
  private readonly started = performance.now();
  private readonly parts = new Map<string, { applied: number; fraction: number; done: boolean }>();
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly timer: NodeJS.Timeout;
  private lastLength = 0;

  constructor(
    names: readonly string[],
    private readonly head: Position | undefined,
    opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    for (const name of names) this.parts.set(name, { applied: 0, fraction: 0, done: false });
    this.timer = setInterval(() => this.draw(), this.tty ? 250 : (opts.lineEveryMs ?? 5_000));
    this.timer.unref();
  }

  update(name: string, update: { applied: number; position: Position }): void {
    const part = this.parts.get(name);
    if (!part) return;
    part.applied += update.applied;
    if (this.head && this.head.prepare > 0n) part.fraction = Math.min(1, Number(update.position.prepare) / Number(this.head.prepare));
  }

  done(name: string): void {
    const part = this.parts.get(name);
    if (part) {
      part.done = true;
      part.fraction = 1;
    }
  }

  /** Events applied so far, all projections together. */
  get applied(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.applied;
    return n;
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
    if (this.tty) this.stream.write('\n');
  }

  private draw(): void {
    const seconds = (performance.now() - this.started) / 1000;
    const parts = [...this.parts.values()];
    const fraction = parts.length === 0 ? 1 : parts.reduce((s, p) => s + p.fraction, 0) / parts.length;
    const rate = seconds > 0 ? this.applied / seconds : 0;
    const eta = fraction > 0 && fraction < 1 ? (seconds * (1 - fraction)) / fraction : 0;
    const total = this.head ? ` of ~${this.head.prepare} in the log` : '';
    const text = `${percent(fraction)} ${this.applied} events${total}, ${Math.round(rate)} events/s, ETA ${formatSeconds(eta)}, elapsed ${formatSeconds(seconds)}`;
    if (this.tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
      this.lastLength = line.length;
    } else {
      this.stream.write(`progress: ${text}\n`);
    }
  }
}

function percent(f: number): string {
  return `${(f * 100).toFixed(1).padStart(5)}%`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
