// Folds a stream's recorded events (upcast to their current shape) into a decider's state. No I/O
// of its own: the caller hands in the events, e.g. `store.readStream(stream)`.

import type { RecordedEvent } from '../eventstore/types.js';
import type { Decider, DomainEvent } from './decider.js';
import { upcast } from './upcast.js';

export interface FoldedStream<S> {
  state: S;
  /** Revision of the last event folded; undefined for a stream that does not exist. */
  revision: bigint | undefined;
}

export async function foldRecorded<E extends DomainEvent, S>(
  decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>,
  events: AsyncIterable<RecordedEvent>,
): Promise<FoldedStream<S>> {
  let state = decider.initialState;
  let revision: bigint | undefined;
  for await (const recorded of events) {
    state = decider.evolve(state, upcast(recorded) as E);
    revision = recorded.revision;
  }
  return { state, revision };
}
