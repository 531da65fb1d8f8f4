// Time travel for users (the kernel: ../time-travel.ts): a user as they were at a point in the
// past, folded straight from their event stream with the user view's fold
// (src/domain/identity/user-view.ts), the one the users projection folds with. No read model is
// involved.

import { userStream } from '../../domain/identity/user-events.js';
import { userViewFold } from '../../domain/identity/user-view.js';
import { foldView } from '../../domain/view-fold.js';
import { textOrTombstone } from '../../domain/privacy/tombstone.js';
import type { EventStore, RecordedEvent } from '../../eventstore/types.js';
import { isAtOrBefore, type AsOf } from '../time-travel.js';
import { userViewOf, type UserView } from './users-query.js';

export interface UserSnapshot {
  user: UserView;
  /** Revision of the last event folded. */
  revision: bigint;
}

/** Folds a user stream (or a prefix of it) into the user as rm.users would hold them. */
export function foldUser(events: readonly RecordedEvent[]): UserSnapshot | undefined {
  const view = foldView(userViewFold, events);
  // An erased account's e-mail and display name read as erased (their key is shredded): tombstones, never content.
  return view && { user: userViewOf({ ...view, email: textOrTombstone(view.email), displayName: textOrTombstone(view.displayName) }), revision: view.revision };
}

/** Users as they were, read over the EventStore port. */
export class UserHistory {
  constructor(private readonly store: EventStore) {}

  /** The user at `asOf` (who may ask is the route's business); undefined before registration. */
  async at(userId: string, asOf: AsOf): Promise<UserSnapshot | undefined> {
    const events: RecordedEvent[] = [];
    for await (const e of this.store.readStream(userStream(userId))) {
      if (!isAtOrBefore(e, asOf)) break;
      events.push(e);
    }
    return foldUser(events);
  }
}
