// Catch-up subscription over the PostgreSQL log: pages through history, then waits for a
// NOTIFY (or the poll interval) and reads again. Positions only move forward.

import type pg from 'pg';
import type { Position } from '../position.js';
import type { EventFilter, RecordedEvent, Subscription } from '../types.js';
import type { PgListener } from '../../db/pg-listener.js';
import { readAllPage } from './read-all-query.js';

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
    // After a wake-up that found nothing (an older transaction still holds the horizon back),
    // look again soon rather than only at the next poll.
    let backoffMs = 0;
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
        if (page.events.length > 0) backoffMs = 0;
        const wait = backoffMs > 0 ? backoffMs : this.opts.pollIntervalMs;
        const before = Date.now();
        await this.notifier.wait(wait, signal);
        const wokenEarly = Date.now() - before < wait;
        backoffMs = wokenEarly ? 5 : backoffMs > 0 ? Math.min(backoffMs * 2, this.opts.pollIntervalMs) : 0;
      }
    } finally {
      this.abort.abort();
      this.opts.onClose();
    }
  }
}
