// A reactor is a consumer of the log that, instead of keeping a read model, asks for work: it
// turns a batch of events into jobs. It runs under the same ProjectorRunner as a projection
// (checkpoint, advisory lock, batches), so its checkpoint only moves once the batch's jobs are
// accepted by the sink; a sink that fails rolls the batch back and the runner retries it.
// Where the jobs go (BullMQ, in the worker role) is injected when the reactor is started.

import type { EventFilter, EventStore, RecordedEvent } from '../eventstore/types.js';
import type { Projection } from './projection.js';

export interface Job<D> {
  /** Deterministic (derived from the event that asks for it): a replay never asks twice. */
  id: string;
  data: D;
}

export interface Reactor<D> {
  /** Unique and stable: the checkpoint and the advisory lock are keyed by it. */
  name: string;
  filter: EventFilter;
  /** The jobs a batch asks for; events whose work is already done ask for none. */
  jobsFor(events: readonly RecordedEvent[], store: EventStore): Promise<Job<D>[]>;
}

export interface JobSink<D> {
  /** Resolves once every job is accepted (durably); rejects otherwise. */
  enqueue(jobs: readonly Job<D>[]): Promise<void>;
}

/** The reactor as a consumer the ProjectorRunner can run. */
export function reactorConsumer<D>(reactor: Reactor<D>, deps: { store: EventStore; sink: JobSink<D> }): Projection {
  return {
    name: reactor.name,
    filter: reactor.filter,
    async apply(_tx, events) {
      const jobs = await reactor.jobsFor(events, deps.store);
      if (jobs.length > 0) await deps.sink.enqueue(jobs);
    },
  };
}
