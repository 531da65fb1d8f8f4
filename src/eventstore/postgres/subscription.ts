// Catch-up subscription over the PostgreSQL log: pages through history, then waits for a
// NOTIFY (or the poll interval) and reads again. Positions only move forward.

import type pg from 'pg';
import type { Position } from '../position.js';
import type { EventFilter, RecordedEvent, Subscription } from '../types.js';
import type { PgListener } from '../../db/pg-listener.js';
import { readAllPage } from './read-all-query.js';

const PENDING_RECHECK_MS = 10;

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
    private readonly start: () => Promise<Position>,
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
    let position = await this.start();
    try {
      while (!signal.aborted) {
        const page = await readAllPage(this.pool, position, this.opts.pageSize, this.filter);
        for (const event of page.events) {
          if (signal.aborted) return;
          yield event;
        }
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
