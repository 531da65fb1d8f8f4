// Events never change shape silently: a new shape gets a new schemaVersion and an upcaster here
// that turns the old shape into the current one when the event is read.

import type { RecordedEvent } from '../eventstore/types.js';
import type { DomainEvent } from './decider.js';

type Upcaster = (data: unknown) => unknown;

/** `${type}@${fromVersion}` → a function producing the data of version fromVersion + 1. */
const upcasters: Record<string, Upcaster> = {};

export function upcast(event: Pick<RecordedEvent, 'type' | 'data' | 'metadata'>): DomainEvent {
  let version = typeof event.metadata.schemaVersion === 'number' ? event.metadata.schemaVersion : 1;
  let data = event.data;
  for (let step = upcasters[`${event.type}@${version}`]; step; step = upcasters[`${event.type}@${version}`]) {
    data = step(data);
    version++;
  }
  return { type: event.type, data };
}
