// rm.users: one row per registered user (no password hashes: those stay in the event stream).

import type pg from 'pg';
import { upcast } from '../domain/upcast.js';
import type { UserEvent } from '../domain/identity/user-events.js';
import type { Projection } from './projection.js';
import { streamId } from './stream-id.js';

export const usersProjection: Projection = {
  name: 'users',
  filter: { streamPrefixes: ['user-'] },
  async apply(tx: pg.ClientBase, events) {
    for (const recorded of events) {
      const event = upcast(recorded) as UserEvent;
      const userId = streamId(recorded.stream, 'user');
      const at = recorded.recordedAt;
      const rev = recorded.revision.toString();
      switch (event.type) {
        case 'UserRegistered':
          await tx.query(
            `insert into rm.users (user_id, email, display_name, role, status, created_at, updated_at, revision)
             values ($1, $2, $3, $4, 'active', $5, $5, $6)`,
            [userId, event.data.email, event.data.displayName, event.data.role, at, rev],
          );
          break;
        case 'UserRoleChanged':
          await tx.query('update rm.users set role = $2, updated_at = $3, revision = $4 where user_id = $1', [userId, event.data.role, at, rev]);
          break;
        case 'UserPasswordChanged':
          await tx.query('update rm.users set updated_at = $2, revision = $3 where user_id = $1', [userId, at, rev]);
          break;
        case 'UserDeactivated':
          await tx.query(`update rm.users set status = 'deactivated', updated_at = $2, revision = $3 where user_id = $1`, [userId, at, rev]);
          break;
      }
    }
  },
};
