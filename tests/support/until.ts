import { eventually } from '../../support/eventually.js';

/** Resolves once `condition()` holds; rejects after `timeoutMs`. Polls on the event loop, no fixed sleeps. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await eventually(() => Promise.resolve(condition()), what, timeoutMs, 2);
}
