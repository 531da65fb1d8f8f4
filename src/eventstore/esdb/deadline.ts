// A bound on a promise: the client's reads carry no deadline of their own (it passes Infinity).

/** Resolves or rejects as `work` does, or rejects with `onTimeout()` after `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // a late failure after the bound has nobody to report to
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}
