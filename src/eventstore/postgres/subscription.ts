// Catch-up subscription over the PostgreSQL log: pages through history, then waits for a
// NOTIFY (or the poll interval) and reads again. Positions only move forward. While catching up it
// reads ahead: a full page means more is there, so the next pages (up to `readAheadPages`, each
// after the one before, one query at a time) are asked for while the consumer works on this one;
// the scan position still moves only once a page's every event has been handed out.

import type pg from 'pg';
import type { Position } from '../position.js';
import type { EventFilter, RecordedEvent, Subscription } from '../types.js';
import type { PgListener } from '../../db/pg-listener.js';
import { readAllPage, type Page } from './read-all-query.js';

const PENDING_RECHECK_MS = 10;
/** Pages read ahead while catching up, unless the options say otherwise. */
export const READ_AHEAD_PAGES = 2;

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
  /** Pages read ahead of the one being handed out while catching up (0: none; default READ_AHEAD_PAGES). */
  readAheadPages?: number;
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
    const depth = this.opts.readAheadPages ?? READ_AHEAD_PAGES;
    // Pages asked for and not yet handed out, in order; each is read after the one before it.
    const ahead: Promise<Page | undefined>[] = [];
    const read = (from: Position): Promise<Page> => readAllPage(this.pool, from, this.opts.pageSize, this.filter);
    const readAhead = (page: Page) => {
      let last: Promise<Page | undefined> = Promise.resolve(page);
      for (const queued of ahead) last = queued;
      while (ahead.length < depth) {
        const next = last.then((p) => (p && !p.caughtUp && !signal.aborted ? read(p.next) : undefined));
        next.catch(() => undefined); // rethrown where it is awaited
        ahead.push(next);
        last = next;
      }
    };
    try {
      while (!signal.aborted) {
        const page = (await ahead.shift()) ?? (await read(position));
        // A page read ahead ends where the one before it ended, so it starts at `position`; a caught-up
        // page ends the read-ahead (whatever is queued after it is undefined).
        if (page.caughtUp) ahead.length = 0;
        else readAhead(page);
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
