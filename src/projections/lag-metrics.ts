// facetrail_projector_lag_events / _seconds per consumer of the log (read models and the job
// bridge), read at scrape time from the same data as `projections:status` (status.ts): rm.checkpoints
// against the log — counted in SQL on the PostgreSQL store, read through the EventStore port up to
// the head noted at the scrape's start on EventStoreDB (capped at PORT_LAG_COUNT_CAP; a larger lag
// is reported as the cap, its seconds stay exact).

import type pg from 'pg';
import type { EventStore } from '../eventstore/types.js';
import { projectionStatus } from './status.js';
import type { Metrics, Sample } from '../metrics/metrics.js';

export interface ConsumerLag {
  consumer: string;
  lagEvents: number;
  lagSeconds: number;
}

/** Every consumer's lag, in events and seconds. */
export async function consumerLag(pool: pg.Pool, store: EventStore): Promise<ConsumerLag[]> {
  return (await projectionStatus(pool, store)).map((s) => ({ consumer: s.consumer, lagEvents: s.lagEvents, lagSeconds: s.lagSeconds }));
}

/** Registers the lag gauges (projector role: one scrape reads every consumer's checkpoint once). */
export function watchProjectorLag(metrics: Metrics, deps: { pool: pg.Pool; eventStore: EventStore }): void {
  let pending: Promise<ConsumerLag[]> | undefined;
  // Both gauges are collected in the same scrape: read the log once for the two of them.
  const read = () => {
    pending ??= consumerLag(deps.pool, deps.eventStore).finally(() => {
      setImmediate(() => (pending = undefined));
    });
    return pending;
  };
  const samples = (pick: (l: ConsumerLag) => number) => async (): Promise<Sample<'consumer'>[]> =>
    (await read()).map((l) => ({ labels: { consumer: l.consumer }, value: pick(l) }));
  metrics.gauge('facetrail_projector_lag_events', 'Events in the log after the consumer checkpoint (in the streams it reads)', ['consumer'], samples((l) => l.lagEvents));
  metrics.gauge('facetrail_projector_lag_seconds', 'Age of the oldest event the consumer has not applied yet (0 when caught up)', ['consumer'], samples((l) => l.lagSeconds));
}
