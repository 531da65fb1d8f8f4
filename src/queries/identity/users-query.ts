// Read side of users (rm.users).

import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { UserViewState } from '../../domain/identity/user-view.js';
import { usersTable } from '../../projections/identity/tables.js';
import { InvalidPageCursorError } from '../images/images-query.js';
import type { User } from './shapes.js';

/** What the API returns of a user (shapes.ts, TypeBox): written once, there. */
export type UserView = Static<typeof User>;

/** A selected row of rm.users (usersTable's columns). */
type UserRow = Record<string, unknown> & { user_id: string };

/** The user as the API answers it, from the user view (rows of rm.users, time travel): everything but the revision. */
export function userViewOf(view: UserViewState): UserView {
  const { revision: _revision, createdAt, updatedAt, ...fields } = view;
  return { ...fields, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

const toView = (row: UserRow): UserView => userViewOf(usersTable.decode(row));
const COLUMNS = usersTable.columnList;

export class UsersQuery {
  constructor(private readonly pool: pg.Pool) {}

  async byId(userId: string): Promise<UserView | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `select ${COLUMNS} from rm.users where user_id = $1`,
      [userId],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Many users in one query (GraphQL loaders); unknown ids are absent from the map. */
  async byIds(userIds: readonly string[]): Promise<Map<string, UserView>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.pool.query<UserRow>(
      `select ${COLUMNS} from rm.users where user_id = any($1::uuid[])`,
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
      `select ${COLUMNS} from rm.users ${where} order by user_id limit $${values.length}`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const cursors = page.map((r) => Buffer.from(r.user_id).toString('base64url'));
    return { items: page.map(toView), nextCursor: rows.length > opts.limit ? (cursors.at(-1) ?? null) : null, cursors };
  }
}
