// Catch-up subscription over the PostgreSQL log: pages through history, then waits for a
// NOTIFY (or the poll interval) and reads again. Positions only move forward.

import type pg from 'pg';
import type { Position } from '../position.js';
import type { EventFilter, RecordedEvent, Subscription } from '../types.js';
import type { PgListener } from '../../db/pg-listener.js';
import { readAllPage } from './read-all-query.js';

const PENDING_RECHECK_MS = 10;

/** What a snapshot saw: transactions below xmax that were not running (not in `running`). */
export interface SnapshotPast {
  xmin: bigint;
  xmax: bigint;
  running: ReadonlySet<bigint>;
}

/** pg_current_snapshot()'s text form, `xmin:xmax:xip,…`. */
export function parseSnapshot(text: string): SnapshotPast {
  const [xmin, xmax, xip] = text.split(':');
  if (xmin === undefined || xmax === undefined) throw new Error(`unexpected snapshot ${JSON.stringify(text)}`);
  return { xmin: BigInt(xmin), xmax: BigInt(xmax), running: new Set((xip ?? '').split(',').filter(Boolean).map((x) => BigInt(x))) };
}

/** Where a subscription starts, and (from 'end') the events before it that it must not deliver. */
export interface SubscriptionStart {
  position: Position;
  past?: SnapshotPast;
}

export interface SubscriptionOptions {
  pageSize: number;
  pollIntervalMs: number;
  onClose: () => void;
}

export class PgSubscription implements Subscription {
  private readonly abort = new AbortController();
  private iterator: AsyncGenerator<RecordedEvent> | undefined;
  private scanned: Position | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly notifier: PgListener,
    private readonly start: () => Promise<SubscriptionStart>,
    private readonly filter: EventFilter | undefined,
    private readonly opts: SubscriptionOptions,
  ) {}

  checkpoint(): Position | undefined {
    return this.scanned;
  }

  close(): Promise<void> {
    this.abort.abort();
    this.opts.onClose();
    return Promise.resolve();
  }

  /** Every call returns the same iterator: a subscription is one stream of events. */
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const signal = this.abort.signal;
    const start = await this.start();
    let position = start.position;
    let past = start.past;
    try {
      while (!signal.aborted) {
        const page = await readAllPage(this.pool, position, this.opts.pageSize, this.filter);
        for (const event of page.events) {
          if (signal.aborted) return;
          // From 'end': an event its start's snapshot saw committed is the past.
          if (past && event.position.commit < past.xmax && !past.running.has(event.position.commit)) continue;
          yield event;
        }
        if (past && page.next.commit >= past.xmax) past = undefined;
        position = page.next;
        this.scanned = position;
        if (!page.caughtUp) continue;
        // Committed events wait above the horizon for an older transaction to end: look again
        // shortly (a NOTIFY may never come for that transaction). Otherwise sleep until NOTIFY.
        await this.notifier.wait(page.pendingAboveHorizon ? PENDING_RECHECK_MS : this.opts.pollIntervalMs, signal);
      }
    } finally {
      this.abort.abort();
      this.opts.onClose();
    }
  }
}
