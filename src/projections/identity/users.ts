// rm.users: one row per registered user (no password hashes: those stay in the event stream).
// A batch is folded in memory with the user view's fold (src/domain/identity/user-view.ts), from
// the rows of the users it touches but did not register (one query), and written with one insert
// for the users registered in it and one update for the others. An erased user's row is deleted.

import type pg from 'pg';
import { isErased } from '../../privacy/declarations.js';
import { ERASED_TEXT } from '../../domain/privacy/tombstone.js';
import { upcast } from '../../domain/upcast.js';
import type { UserEvent } from '../../domain/identity/user-events.js';
import { userViewFold, type UserViewState } from '../../domain/identity/user-view.js';
import type { Projection } from '../projection.js';
import { streamId } from '../stream-id.js';
import { loadViews, writeViews } from '../view-batch.js';
import { usersTable, usersTables } from './tables.js';

/**
 * A view whose personal fields read as erased (a rebuild of an erased account, before its
 * UserErased in a later batch) gets tombstones: never content, and an e-mail unique per user.
 */
function tombstoned(view: UserViewState | undefined): UserViewState | undefined {
  if (!view || (!isErased(view.email) && !isErased(view.displayName))) return view;
  return { ...view, email: isErased(view.email) ? `${ERASED_TEXT}:${view.userId}` : view.email, displayName: isErased(view.displayName) ? ERASED_TEXT : view.displayName };
}

export const usersProjection: Projection = {
  name: 'users',
  // The view keeps no password hash: it is left out of the read (and never opened: src/privacy).
  filter: { streamPrefixes: ['user-'], omitData: { UserRegistered: ['passwordHash'], UserPasswordChanged: ['passwordHash'] } },
  tables: usersTables,
  async apply(tx: pg.ClientBase, events) {
    const batch = events.map((recorded) => ({ recorded, userId: streamId(recorded.stream, 'user'), event: upcast(recorded) as UserEvent }));
    const registered = new Set(batch.filter((b) => b.event.type === 'UserRegistered').map((b) => b.userId));
    const views = new Map<string, UserViewState | undefined>(
      await loadViews(tx, usersTable, batch.map((b) => b.userId).filter((id) => !registered.has(id)), (fields) => fields),
    );
    /** Users the batch erased (UserErased): their rows go; nothing of them is kept here. */
    const erased = new Set<string>();
    for (const { recorded, userId, event } of batch) {
      if (event.type === 'UserRegistered' && views.get(userId)) throw new Error(`user ${userId} registered twice in one batch`);
      if (event.type === 'UserErased') {
        erased.add(userId);
        views.set(userId, undefined);
        continue;
      }
      if (erased.has(userId)) continue; // nothing after the erasure shapes the user
      views.set(userId, tombstoned(userViewFold.evolve(views.get(userId), event, recorded)));
    }
    await writeViews(tx, usersTable, views, registered);
    if (erased.size > 0) await tx.query('delete from users where user_id = any($1::uuid[])', [[...erased]]);
  },
};
