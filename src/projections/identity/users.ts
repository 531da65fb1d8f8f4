// rm.users: one row per registered user (no password hashes: those stay in the event stream).
// A batch is folded in memory with the user view's fold (src/domain/identity/user-view.ts), from
// the rows of the users it touches but did not register (one query), and written with one insert
// for the users registered in it and one update for the others.

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import type { UserEvent } from '../../domain/identity/user-events.js';
import { userViewFold, type UserViewState } from '../../domain/identity/user-view.js';
import type { Projection } from '../projection.js';
import { streamId } from '../stream-id.js';
import { loadViews, writeViews } from '../view-batch.js';
import { usersTable, usersTables } from './tables.js';

export const usersProjection: Projection = {
  name: 'users',
  filter: { streamPrefixes: ['user-'] },
  tables: usersTables,
  async apply(tx: pg.ClientBase, events) {
    const batch = events.map((recorded) => ({ recorded, userId: streamId(recorded.stream, 'user'), event: upcast(recorded) as UserEvent }));
    const registered = new Set(batch.filter((b) => b.event.type === 'UserRegistered').map((b) => b.userId));
    const views = new Map<string, UserViewState | undefined>(
      await loadViews(tx, usersTable, batch.map((b) => b.userId).filter((id) => !registered.has(id)), (fields) => fields),
    );
    for (const { recorded, userId, event } of batch) {
      if (event.type === 'UserRegistered' && views.get(userId)) throw new Error(`user ${userId} registered twice in one batch`);
      views.set(userId, userViewFold.evolve(views.get(userId), event, recorded));
    }
    await writeViews(tx, usersTable, views, registered);
  },
};
