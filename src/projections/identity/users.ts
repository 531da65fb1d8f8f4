// rm.users: one row per registered user (no password hashes: those stay in the event stream).
// A batch is folded in memory per user (in log order) and written with one insert for the users
// registered in it and one update for the others.

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import type { UserEvent } from '../../domain/identity/user-events.js';
import { jsonRows } from '../batch-sql.js';
import type { Projection, ReadModelTables } from '../projection.js';
import { streamId } from '../stream-id.js';

interface UserRow {
  user_id: string;
  email: string;
  display_name: string;
  role: string;
  status: string;
  created_at: Date;
  updated_at: Date;
  revision: string;
}
/** Changes to a user registered before the batch (absent fields are left as they are). */
interface UserPatch {
  user_id: string;
  role?: string;
  status?: string;
  updated_at: Date;
  revision: string;
}

export const usersTables: ReadModelTables = {
  tables: [{ name: 'users', key: ['user_id'] }],
  createTables: (s) => /* sql */ `
    create table ${s}.users (
      user_id      uuid primary key,
      email        text not null unique,
      display_name text not null,
      role         text not null check (role in ('user', 'auditor', 'admin')),
      status       text not null check (status in ('active', 'deactivated')),
      created_at   timestamptz not null,
      updated_at   timestamptz not null,
      revision     bigint not null
    );`,
  createIndexes: () => '',
};

export const usersProjection: Projection = {
  name: 'users',
  filter: { streamPrefixes: ['user-'] },
  tables: usersTables,
  async apply(tx: pg.ClientBase, events) {
    const inserts = new Map<string, UserRow>();
    const patches = new Map<string, UserPatch>();
    for (const recorded of events) {
      const event = upcast(recorded) as UserEvent;
      const userId = streamId(recorded.stream, 'user');
      const at = recorded.recordedAt;
      const revision = recorded.revision.toString();
      if (event.type === 'UserRegistered') {
        if (inserts.has(userId)) throw new Error(`user ${userId} registered twice in one batch`);
        inserts.set(userId, {
          user_id: userId,
          email: event.data.email,
          display_name: event.data.displayName,
          role: event.data.role,
          status: 'active',
          created_at: at,
          updated_at: at,
          revision,
        });
        continue;
      }
      let change: Partial<UserRow>;
      switch (event.type) {
        case 'UserRoleChanged':
          change = { role: event.data.role };
          break;
        case 'UserDeactivated':
          change = { status: 'deactivated' };
          break;
        case 'UserPasswordChanged':
          change = {};
          break;
        default:
          continue; // an event type this model does not read
      }
      const row = inserts.get(userId);
      if (row) {
        Object.assign(row, change, { updated_at: at, revision });
        continue;
      }
      const patch = patches.get(userId) ?? { user_id: userId, updated_at: at, revision };
      patches.set(userId, Object.assign(patch, change, { updated_at: at, revision }));
    }
    if (inserts.size > 0) {
      await tx.query(
        `insert into users (user_id, email, display_name, role, status, created_at, updated_at, revision)
         select user_id, email, display_name, role, status, created_at, updated_at, revision
           from jsonb_to_recordset($1::jsonb) as r(user_id uuid, email text, display_name text, role text, status text,
                                                  created_at timestamptz, updated_at timestamptz, revision bigint)`,
        [jsonRows([...inserts.values()])],
      );
    }
    if (patches.size > 0) {
      await tx.query(
        `update users u
            set role = coalesce(p.role, u.role), status = coalesce(p.status, u.status), updated_at = p.updated_at, revision = p.revision
           from jsonb_to_recordset($1::jsonb) as p(user_id uuid, role text, status text, updated_at timestamptz, revision bigint)
          where u.user_id = p.user_id`,
        [jsonRows([...patches.values()])],
      );
    }
  },
};
