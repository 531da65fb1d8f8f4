// A decorator of an EventStore: the given members replace the adapter's, everything else (kind,
// limits, localData, an adapter's own diagnostics) is the adapter's own, methods bound to it.

import type { EventStore } from './types.js';

export function decorateEventStore(store: EventStore, overrides: Partial<EventStore>): EventStore {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof EventStore];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
