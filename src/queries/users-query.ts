// Read side of users (rm.users).

import type pg from 'pg';
import type { Role } from '../domain/identity/roles.js';

export interface UserView {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  status: 'active' | 'deactivated';
  createdAt: string;
  updatedAt: string;
}

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
}
