// Decorates an EventStore so every append is timed into facetrail_event_store_append_duration_seconds
// (labels: store kind, outcome ok | conflict | error). Everything else passes through unchanged.

import { decorateEventStore } from './decorate.js';
import { WrongExpectedRevisionError } from './errors.js';
import type { EventStore } from './types.js';
import type { Metrics } from '../metrics/metrics.js';

export function instrumentEventStore(store: EventStore, metrics: Pick<Metrics, 'appendDuration'>): EventStore {
  const append: EventStore['append'] = async (stream, events, opts) => {
    const end = metrics.appendDuration.startTimer({ store: store.kind });
    try {
      const result = await store.append(stream, events, opts);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: err instanceof WrongExpectedRevisionError ? 'conflict' : 'error' });
      throw err;
    }
  };
  return decorateEventStore(store, { append });
}
