// Groups what an async iterator can deliver right now: the first item is awaited, then further
// items are taken while they are already available — until the next macrotask turn (one
// setImmediate per chunk), up to `max`. A reader that must look something up per item (the sealing
// store's keys) does it once per chunk without adding latency to a live tail.
//
// A chunk handed out is never touched again (a consumer may hold several: the sealing store's
// finite reads keep two in flight).

const NOT_READY = Symbol('not ready');

export async function* readyChunks<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  let carried: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      const first = await (carried ?? it.next());
      carried = undefined;
      if (first.done) {
        finished = true;
        return;
      }
      const chunk: T[] = [first.value];
      // Items that settle before this turn ends were buffered already; the first one that does not
      // ends the chunk (and starts the next).
      const turnEnded = new Promise<typeof NOT_READY>((resolve) => setImmediate(() => resolve(NOT_READY)));
      while (chunk.length < max) {
        const pending = it.next();
        const r = await Promise.race([pending, turnEnded]);
        if (r === NOT_READY) {
          carried = pending;
          break;
        }
        if (r.done) {
          finished = true;
          yield chunk;
          return;
        }
        chunk.push(r.value);
      }
      yield chunk;
    }
  } finally {
    if (!finished) {
      // A pending item is abandoned with the iterator; its failure is no reader's any more.
      carried?.catch(() => undefined);
      await it.return?.();
    }
  }
}
