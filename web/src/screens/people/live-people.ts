// Live people: told of each change to any of the caller's people (GraphQL myPeople: curation by
// the user in another tab, and the automatic people reactor), so a screen re-reads without polling.

import { useEffect, useRef } from 'preact/hooks';
import { subscribe } from '../../api/graphql.js';

/** Calls `onChange(personId)` for each change while mounted (and `enabled`). */
export function usePeopleChanges(onChange: (personId: string) => void, enabled = true): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    if (!enabled) return;
    return subscribe<{ myPeople: { personId: string } }>(
      'subscription { myPeople { personId } }',
      {},
      (data) => latest.current(data.myPeople.personId),
      () => undefined, // no consent (the screen says so) or a lost connection: the screen still works on reads
    );
  }, [enabled]);
}
