// One table row of an autocannon run, as the HTTP benches print it: requests, rate, latency and
// whether anything failed (a non-2xx, an error or a timeout makes the figure worthless).

import type autocannon from 'autocannon';

export type Row = Record<string, string | number>;

/** `extra` columns go between the latency and the note. */
export function autocannonRow(name: string, r: autocannon.Result, extra: Row = {}): Row {
  const bad = r.non2xx + r.errors + r.timeouts;
  return {
    case: name,
    n: r.requests.total,
    'req/s': r.requests.total / r.duration,
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    ...extra,
    note: bad === 0 ? 'non-2xx 0' : `NON-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`,
  };
}
