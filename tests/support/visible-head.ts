// A position after every append committed so far, once readers can see it. headPosition() alone
// is not that: PostgreSQL readers see a commit only below the oldest transaction still open in the
// whole cluster (another test file's, too), so the visible head can be behind a commit that has
// already returned. A marker appended now, waited for until it is visible, is after all of them.

import { randomUUID } from 'node:crypto';
import { comparePositions } from '../../src/eventstore/position.js';
import type { EventStore, Position } from '../../src/eventstore/types.js';
import { eventually } from '../../support/eventually.js';

export async function visibleHead(store: EventStore): Promise<Position> {
  const { position } = await store.append(`test-marker-${randomUUID()}`, [{ type: 'Marker', data: {} }]);
  await eventually(async () => {
    const head = await store.headPosition();
    return head !== undefined && comparePositions(head, position) >= 0;
  }, 'the marker is visible');
  return position;
}
