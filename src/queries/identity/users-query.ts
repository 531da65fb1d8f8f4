// Read side of users (rm.users).

import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { Role } from '../../domain/identity/roles.js';
import { InvalidPageCursorError } from '../images/images-query.js';
import type { User } from './shapes.js';

/** What the API returns of a user (shapes.ts, TypeBox): written once, there. */
export type UserView = Static<typeof User>;

interface UserRow {
  user_id: string;
  email: string;
  display_name: string;
  role: Role;
  status: 'active' | 'deactivated';
  created_at: Date;
  updated_at: Date;
}

const toView = (r: UserRow): UserView => ({
  userId: r.user_id,
  email: r.email,
  displayName: r.display_name,
  role: r.role,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export class UsersQuery {
  constructor(private readonly pool: pg.Pool) {}

  async byId(userId: string): Promise<UserView | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      'select user_id, email, display_name, role, status, created_at, updated_at from rm.users where user_id = $1',
      [userId],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Many users in one query (GraphQL loaders); unknown ids are absent from the map. */
  async byIds(userIds: readonly string[]): Promise<Map<string, UserView>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.pool.query<UserRow>(
      'select user_id, email, display_name, role, status, created_at, updated_at from rm.users where user_id = any($1::uuid[])',
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, toView(r)]));
  }

  /** Every user, keyset-paginated by id (stable under concurrent registrations); admins and auditors only. */
  async list(opts: { cursor?: string | undefined; limit: number }): Promise<{ items: UserView[]; nextCursor: string | null; cursors: string[] }> {
    const values: unknown[] = [];
    let where = '';
    if (opts.cursor !== undefined) {
      const after = Buffer.from(opts.cursor, 'base64url').toString('utf8');
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(after)) throw new InvalidPageCursorError('the page cursor is not valid');
      values.push(after);
      where = 'where user_id > $1::uuid';
    }
    values.push(opts.limit + 1);
    const { rows } = await this.pool.query<UserRow>(
      `select user_id, email, display_name, role, status, created_at, updated_at from rm.users ${where} order by user_id limit $${values.length}`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const cursors = page.map((r) => Buffer.from(r.user_id).toString('base64url'));
    return { items: page.map(toView), nextCursor: rows.length > opts.limit ? (cursors.at(-1) ?? null) : null, cursors };
  }
}
