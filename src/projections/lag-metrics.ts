// facetrail_projector_lag_events / _seconds per consumer of the log (read models and the job
// bridge), read at scrape time from the same data as `projections:status`: rm.checkpoints against
// the log. PostgreSQL event store: projectionStatus() (counted in SQL on the stored events, capped at LAG_COUNT_CAP).
// EventStoreDB: the log after each checkpoint is read through the EventStore port, in the
// consumer's own filter, up to ESDB_LAG_CAP events (a scrape must stay cheap; a larger lag is
// reported as the cap, its seconds stay exact).

import type pg from 'pg';
import type { EventFilter, EventStore } from '../eventstore/types.js';
import { readCheckpoint } from '../checkpoints/checkpoints.js';
import { consumers } from './index.js';
import { projectionStatus } from './status.js';
import type { Metrics, Sample } from '../metrics/metrics.js';

export const ESDB_LAG_CAP = 10_000;

export interface ConsumerLag {
  consumer: string;
  lagEvents: number;
  lagSeconds: number;
}

const FILTERS: ReadonlyMap<string, EventFilter> = new Map(consumers.map((c) => [c.name, c.filter]));

async function lagOnStore(pool: pg.Pool, store: EventStore): Promise<ConsumerLag[]> {
  const { rows } = await pool.query<{ consumer: string }>('select consumer from rm.checkpoints order by consumer');
  const out: ConsumerLag[] = [];
  for (const { consumer } of rows) {
    const from = await readCheckpoint(pool, consumer);
    let lagEvents = 0;
    let firstAt: Date | undefined;
    const filter = FILTERS.get(consumer);
    for await (const event of store.readAll({ ...(from ? { from } : {}), maxCount: ESDB_LAG_CAP, ...(filter ? { filter } : {}) })) {
      firstAt ??= event.recordedAt;
      lagEvents++;
    }
    out.push({ consumer, lagEvents, lagSeconds: firstAt ? Math.max(0, (Date.now() - firstAt.getTime()) / 1000) : 0 });
  }
  return out;
}

/** Every consumer's lag, in events and seconds. */
export async function consumerLag(pool: pg.Pool, store: EventStore): Promise<ConsumerLag[]> {
  if (!store.localData) return lagOnStore(pool, store);
  return (await projectionStatus(pool, store.localData)).map((s) => ({ consumer: s.consumer, lagEvents: s.lagEvents, lagSeconds: s.lagSeconds }));
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
