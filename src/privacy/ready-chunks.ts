// Groups what an async iterator can deliver right now: the first item is awaited, then further
// items are taken while each is already available (settles before a macrotask turn), up to `max`.
// A reader that must look something up per item (the sealing store's keys) does it once per chunk
// without adding latency to a live tail.

const NOT_READY = Symbol('not ready');

function nextTurn(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(() => resolve(NOT_READY)));
}

export async function* readyChunks<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const first = await it.next();
      if (first.done) {
        finished = true;
        return;
      }
      const chunk = [first.value];
      while (chunk.length < max) {
        const pending = it.next();
        const r = await Promise.race([pending, nextTurn()]);
        if (r === NOT_READY) {
          // Not ready: hand over what we have, and this pending item first next time.
          yield chunk;
          const later = await pending;
          if (later.done) {
            finished = true;
            return;
          }
          chunk.length = 0;
          chunk.push(later.value);
          continue;
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
    if (!finished) await it.return?.();
  }
}
