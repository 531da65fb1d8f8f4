// readyChunks: what is buffered comes as one chunk, what is not yet there ends the chunk (no added
// latency), and a chunk handed out is never changed afterwards — the sealing store's finite reads
// hold two at once.

import { describe, expect, it } from 'vitest';
import { readyChunks } from '../../../src/privacy/ready-chunks.js';

async function* buffered(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield await Promise.resolve(i);
}

/** Two macrotask turns: an item behind it is not there when readyChunks' turn ends. */
const laterTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** Items in bursts: `burst` ready at once, then the next burst only turns later (a live tail). */
async function* bursts(total: number, burst: number): AsyncGenerator<number> {
  for (let i = 0; i < total; i++) {
    if (i > 0 && i % burst === 0) await laterTurn();
    yield i;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readyChunks', () => {
  it('takes what is buffered in one chunk, up to the maximum', async () => {
    expect((await collect(readyChunks(buffered(10), 256))).map((c) => c.length)).toEqual([10]);
    expect((await collect(readyChunks(buffered(10), 4))).map((c) => c.length)).toEqual([4, 4, 2]);
  });

  it('ends a chunk at the first item that is not there yet', async () => {
    const chunks = await collect(readyChunks(bursts(9, 3), 256));
    expect(chunks).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  });

  it('never changes a chunk it handed out, with several asked for at once', async () => {
    const chunks = readyChunks(bursts(12, 3), 256);
    const asked = [chunks.next(), chunks.next(), chunks.next(), chunks.next()];
    const got = await Promise.all(asked);
    expect((await chunks.next()).done).toBe(true); // the generator has run to its end: nothing left to change a chunk
    expect(got.map((r) => r.value as number[] | undefined)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]);
  });
});
