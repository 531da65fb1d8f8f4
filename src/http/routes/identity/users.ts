// GET /v1/me, GET /v1/users/:userId (optionally as of a past point) and the admin user commands.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../../../commands/identity/identity-service.js';
import { maySeeUser } from '../../../domain/identity/policies.js';
import type { ROLES } from '../../../domain/identity/roles.js';
import { positionToCursor } from '../../../eventstore/position.js';
import { Role, User } from '../../../queries/identity/shapes.js';
import type { UserHistory } from '../../../queries/identity/user-history.js';
import type { UsersQuery } from '../../../queries/identity/users-query.js';
import { AsOfFields, AsOfQuery, asOfParam } from '../../as-of.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { HttpProblem } from '../../problem.js';
import { ConsistentWithQuery, PositionCursor, responses, Uuid } from '../../schemas.js';

export interface UserRouteDeps {
  identity: IdentityService;
  users: UsersQuery;
  /** Users as they were (asOf). */
  history: UserHistory;
  authenticate: Guard;
  requireRole: (...roles: (typeof ROLES)[number][]) => Guard;
  ensureConsistent: EnsureConsistent;
}

const UserCommandResult = Type.Object({ userId: Uuid, position: Type.Union([PositionCursor, Type.Null()]) });

export function userRoutes(parent: FastifyInstance, deps: UserRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];

  app.get(
    '/v1/me',
    {
      preHandler: deps.authenticate,
      schema: { tags: ['users'], summary: 'The calling user', security, querystring: ConsistentWithQuery, response: responses({ 200: User }, 400, 401, { 404: ['not_found'] }, 503) },
    },
    async (request) => {
      const { userId } = principalOf(request);
      await deps.ensureConsistent(request.query.consistentWith, ['users']);
      const user = await deps.users.byId(userId);
      if (!user) throw new HttpProblem(404, 'not_found', 'Not found', 'the user is not in the read model yet; pass consistentWith=<position> from the registration');
      return user;
    },
  );

  app.get(
    '/v1/users/:userId',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['users'],
        summary: 'A user (themself, auditors and admins; 404 for others); asOf: as they were then',
        security,
        params: Type.Object({ userId: Uuid }),
        querystring: Type.Object({ asOf: Type.Optional(AsOfQuery), ...ConsistentWithQuery.properties }),
        response: responses({ 200: Type.Composite([User, AsOfFields]) }, 400, 401, { 404: ['user_not_found'] }, 503),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { userId } = request.params;
      const { asOf } = request.query;
      const travel = asOf === undefined ? undefined : { asOf, point: asOfParam(asOf) };
      const notFound = () => new HttpProblem(404, 'user_not_found', 'Not found', 'no such user');
      if (!maySeeUser(principal, userId)) throw notFound();
      if (travel) {
        const then = await deps.history.at(userId, travel.point);
        if (!then) throw notFound();
        return { ...then.user, asOf: travel.asOf, revision: then.revision.toString() };
      }
      await deps.ensureConsistent(request.query.consistentWith, ['users']);
      const user = await deps.users.byId(userId);
      if (!user) throw notFound();
      return user;
    },
  );

  app.post(
    '/v1/admin/users/:userId/role',
    {
      preHandler: deps.requireRole('admin'),
      schema: {
        tags: ['admin'],
        summary: "Change a user's role (in force for the user's next request; 503 revocation_pending if the read model is behind)",
        security,
        params: Type.Object({ userId: Uuid }),
        body: Type.Object({ role: Role }, { additionalProperties: false, examples: [{ role: 'auditor' }] }),
        response: responses({ 200: UserCommandResult }, 400, 401, { 403: ['forbidden'], 404: ['user_not_found'], 409: ['user_deactivated', 'user_erased'], 503: ['revocation_pending'] }),
      },
    },
    async (request) => {
      const actor = principalOf(request);
      const position = await deps.identity.changeRole(request.params.userId, request.body.role, {
        correlationId: request.id,
        actor: { id: actor.userId, kind: 'user', role: actor.role },
      });
      return { userId: request.params.userId, position: position ? positionToCursor(position) : null };
    },
  );

  app.post(
    '/v1/admin/users/:userId/deactivate',
    {
      preHandler: deps.requireRole('admin'),
      schema: {
        tags: ['admin'],
        summary: 'Deactivate a user: their tokens stop working at once (503 revocation_pending if the read model is behind)',
        security,
        params: Type.Object({ userId: Uuid }),
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false, examples: [{ reason: 'left the team' }] }),
        response: responses({ 200: UserCommandResult }, 400, 401, { 403: ['forbidden'], 404: ['user_not_found'], 409: ['user_erased'], 503: ['revocation_pending'] }),
      },
    },
    async (request) => {
      const actor = principalOf(request);
      const position = await deps.identity.deactivate(request.params.userId, request.body.reason, {
        correlationId: request.id,
        actor: { id: actor.userId, kind: 'user', role: actor.role },
      });
      return { userId: request.params.userId, position: position ? positionToCursor(position) : null };
    },
  );
}
