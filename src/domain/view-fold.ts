// A view fold: how the read side's view of one stream evolves, event by event. Pure and written
// once per view: the projection folds a batch with it (from the state it loaded), time travel
// folds a prefix of the stream with it (from nothing). `undefined` is the view of a stream that
// does not exist (yet): nothing before its first event shapes it.

import type { RecordedEvent } from '../eventstore/types.js';
import type { DomainEvent } from './decider.js';
import { upcast } from './upcast.js';

/** What a view needs of an event besides its (upcast) data: which event it is, where and when it was recorded. */
export type EventMeta = Pick<RecordedEvent, 'id' | 'revision' | 'position' | 'recordedAt'>;

export interface ViewFold<E extends DomainEvent, V> {
  /** The view before the stream's first event: none. */
  readonly initialState: undefined;
  evolve(view: V | undefined, event: E, meta: EventMeta): V | undefined;
}

/** Folds recorded events (upcast to their current shape) into a view, from nothing. */
export function foldView<E extends DomainEvent, V>(fold: ViewFold<E, V>, events: Iterable<RecordedEvent>): V | undefined {
  let view: V | undefined = fold.initialState;
  for (const recorded of events) view = fold.evolve(view, upcast(recorded) as E, recorded);
  return view;
}
