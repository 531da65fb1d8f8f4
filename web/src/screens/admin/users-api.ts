// What the admin screens ask of the API about users: a page of users (GraphQL `users`, read with
// consistentWith after a command), a role change, a deactivation and an account erasure (REST).
// Each command answers the position a re-read waits for; the API decides what it refuses.

import { api, post } from '../../api/client.js';
import { query } from '../../api/graphql.js';
import type { Role } from '../../api/session.js';

export const ROLES: readonly Role[] = ['user', 'auditor', 'admin'];
export const PAGE_SIZE = 20;

export interface AdminUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: 'active' | 'deactivated';
  createdAt: string;
}

export interface UserPage {
  users: AdminUser[];
  hasNextPage: boolean;
  endCursor: string | null;
}

const USERS = /* GraphQL */ `
  query AdminUsers($first: Int!, $after: String, $consistentWith: String) {
    users(first: $first, after: $after, consistentWith: $consistentWith) {
      edges { node { id email displayName role status createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface UsersData {
  users: { edges: { node: AdminUser }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** One page of users after `after` (null: the first), once the read model has applied `consistentWith`. */
export async function usersPage(after: string | null, consistentWith: string | null): Promise<UserPage> {
  const data = await query<UsersData>(USERS, { first: PAGE_SIZE, after, consistentWith });
  return { users: data.users.edges.map((e) => e.node), hasNextPage: data.users.pageInfo.hasNextPage, endCursor: data.users.pageInfo.endCursor };
}

interface CommandAnswer {
  userId: string;
  /** null when the command changed nothing (the role was already that one, already deactivated). */
  position: string | null;
}

export const changeRole = (userId: string, role: Role) => post<CommandAnswer>(`/v1/admin/users/${userId}/role`, { role });

export const deactivate = (userId: string, reason: string) => post<CommandAnswer>(`/v1/admin/users/${userId}/deactivate`, { reason });

export interface ErasureAnswer {
  erasureId: string;
  status: 'completed' | 'pending';
  position: string | null;
  /** The compact JWS the API signed: the proof of the erasure. */
  receipt?: string;
  claims?: { id: string; subject: string; completedAt: string; keys: unknown[]; positions: { requested: string; facts: Record<string, string>; shredded: string | null } };
}

export const eraseUser = (userId: string) => post<ErasureAnswer>(`/v1/admin/users/${userId}/erasure`);

export const erasure = (erasureId: string) => api<ErasureAnswer>('GET', `/v1/admin/erasures/${erasureId}`);

/** Where the users read model shows the erasure: the UserErased fact once completed, else the request. */
export function erasurePosition(answer: ErasureAnswer, userId: string): string | null {
  return answer.claims?.positions.facts[`user-${userId}`] ?? answer.position;
}
