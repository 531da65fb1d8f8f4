// The upload checks' pixel budget: shares within the capacity run together, the rest wait in
// order, a wait past its bound is refused (PixelBudgetTimeout) without blocking those behind it,
// an image larger than the whole budget runs alone, and a failing check gives its share back.

import { describe, expect, it } from 'vitest';
import { PixelBudget, PixelBudgetTimeout } from '../../../src/http/routes/images/pixel-budget.js';

/** A check that runs until released. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { work: () => done, release };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PixelBudget', () => {
  it('runs what fits at once and queues the rest in order', async () => {
    const budget = new PixelBudget(100);
    const a = held();
    const b = held();
    const started: string[] = [];
    const pa = budget.run(60, 10_000, () => (started.push('a'), a.work()));
    const pb = budget.run(60, 10_000, () => (started.push('b'), b.work()));
    const pc = budget.run(30, 10_000, () => Promise.resolve(void started.push('c')));
    await flush();
    expect(started).toEqual(['a']); // c fits but waits behind b (FIFO: a large image is not starved)
    expect(budget.inFlight).toBe(60);
    a.release();
    await pa;
    await flush();
    expect(started).toEqual(['a', 'b', 'c']);
    b.release();
    await Promise.all([pb, pc]);
    expect(budget.inFlight).toBe(0);
  });

  it('an image over the whole budget runs alone', async () => {
    const budget = new PixelBudget(100);
    const a = held();
    const pa = budget.run(1_000, 10_000, a.work);
    await flush();
    expect(budget.inFlight).toBe(100);
    let second = false;
    const pb = budget.run(1, 10_000, () => Promise.resolve(void (second = true)));
    await flush();
    expect(second).toBe(false);
    a.release();
    await Promise.all([pa, pb]);
    expect(second).toBe(true);
  });

  it('refuses a wait past its bound, and lets the ones behind it go', async () => {
    const budget = new PixelBudget(100);
    const a = held();
    const pa = budget.run(90, 10_000, a.work);
    const refused = budget.run(50, 0, () => Promise.resolve('never'));
    const small = budget.run(10, 10_000, () => Promise.resolve('small'));
    await expect(refused).rejects.toBeInstanceOf(PixelBudgetTimeout);
    expect(await small).toBe('small');
    a.release();
    await pa;
    expect(budget.inFlight).toBe(0);
  });

  it('a failing check gives its share back', async () => {
    const budget = new PixelBudget(100);
    await expect(budget.run(100, 0, () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    expect(budget.inFlight).toBe(0);
    expect(await budget.run(100, 0, () => Promise.resolve('ok'))).toBe('ok');
  });
});
