// Pulls events from a subscription in batches: waits (bounded) for the first event, then takes
// whatever is already buffered, up to `max`, without waiting for more.

import type { RecordedEvent } from '../eventstore/types.js';

const TIMEOUT = Symbol('timeout');

export class BatchPuller {
  private pending: Promise<IteratorResult<RecordedEvent>> | undefined;

  constructor(private readonly iterator: AsyncIterator<RecordedEvent>) {}

  /** Up to `max` events; an empty array when nothing arrived within `waitMs` or `signal` fired. */
  async next(max: number, waitMs: number, signal: AbortSignal): Promise<RecordedEvent[]> {
    const first = await this.pull(waitFor(waitMs, signal));
    if (first === TIMEOUT) return [];
    const events = [first];
    while (events.length < max) {
      const next = await this.pull(new Promise<typeof TIMEOUT>((resolve) => setImmediate(() => resolve(TIMEOUT))));
      if (next === TIMEOUT) break;
      events.push(next);
    }
    return events;
  }

  private async pull(timeout: Promise<typeof TIMEOUT>): Promise<RecordedEvent | typeof TIMEOUT> {
    this.pending ??= this.iterator.next();
    const result = await Promise.race([this.pending, timeout]);
    if (result === TIMEOUT) return TIMEOUT; // keep the pending read for the next call
    this.pending = undefined;
    if (result.done) throw new Error('the subscription ended');
    return result.value;
  }
}

function waitFor(ms: number, signal: AbortSignal): Promise<typeof TIMEOUT> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(TIMEOUT);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(TIMEOUT);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
