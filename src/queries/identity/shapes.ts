// What the API returns of a user (TypeBox): the REST response schemas (and so OpenAPI), and the
// source of UserView (users-query.ts). GraphQL's User must match it (tests/unit/http/shape-drift.test.ts).

import { Type } from '@sinclair/typebox';
import { ROLES } from '../../domain/identity/roles.js';
import { DateTime, Uuid } from '../shapes.js';

export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('deactivated')]);

export const User = Type.Object({
  userId: Uuid,
  email: Type.String(),
  displayName: Type.String(),
  role: Role,
  status: UserStatus,
  createdAt: DateTime,
  updatedAt: DateTime,
});
