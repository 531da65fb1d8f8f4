// /v1/auth/*: register, token (login), refresh (rotation), logout; /.well-known/jwks.json.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../../../auth/tokens.js';
import type { IdentityService } from '../../../commands/identity/identity-service.js';
import { positionToCursor, type Position } from '../../../eventstore/position.js';
import { DomainError } from '../../../domain/decider.js';
import type { LoginThrottle } from './login-throttle.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

export interface AuthRouteDeps {
  identity: IdentityService;
  tokens: TokenService;
  throttle: LoginThrottle;
  rateLimitPerIpPerMinute: number;
}

const Email = Type.String({ minLength: 3, maxLength: 254, description: 'Compared case-insensitively after Unicode NFC normalisation' });
const Password = Type.String({ minLength: 1, maxLength: 256 });
const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  refreshExpiresIn: Type.Integer({ description: 'Seconds until the refresh token expires' }),
  position: Type.Union([PositionCursor, Type.Null()]),
});

const cursor = (p: Position | undefined) => (p ? positionToCursor(p) : null);

export function authRoutes(parent: FastifyInstance, deps: AuthRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // One per-IP budget for every /v1/auth/* route: a route's own `config.rateLimit` would count per
  // route (@fastify/rate-limit keys its store by method and URL), so register, token, refresh and
  // logout would each get the whole budget. One limiter, one key per client IP (request.ip, under
  // the app's trustProxy setting), used by all four.
  const authBudget = app.rateLimit({ max: deps.rateLimitPerIpPerMinute, timeWindow: 60_000, keyGenerator: (request) => `auth:${request.ip}` });
  const ctx = (requestId: string) => ({ correlationId: requestId });

  app.post(
    '/v1/auth/register',
    {
      onRequest: authBudget,
      schema: {
        tags: ['auth'],
        summary: 'Register a user (role user)',
        body: Type.Object({ email: Email, password: Password, displayName: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: responses({ 201: Type.Object({ userId: Uuid, position: PositionCursor }) }, 400, 409, 429),
      },
    },
    async (request, reply) => {
      const { userId, position } = await deps.identity.register(request.body, { ...ctx(request.id), actor: { id: 'anonymous', kind: 'user' } });
      return reply.status(201).header('location', '/v1/me').send({ userId, position: positionToCursor(position) });
    },
  );

  app.post(
    '/v1/auth/token',
    {
      onRequest: authBudget,
      schema: {
        tags: ['auth'],
        summary: 'Log in with e-mail and password',
        body: Type.Object({ email: Email, password: Password }, { additionalProperties: false }),
        response: responses({ 200: TokenPair }, 400, 401, 403, 429),
      },
    },
    async (request, reply) => {
      const { email } = request.body;
      await deps.throttle.check(email, request.ip);
      try {
        const pair = await deps.identity.login(request.body, ctx(request.id));
        await deps.throttle.recordSuccess(email, request.ip);
        return reply.header('cache-control', 'no-store').send({ ...pair, position: cursor(pair.position) });
      } catch (err) {
        if (err instanceof DomainError && err.code === 'invalid_credentials') await deps.throttle.recordFailure(email, request.ip);
        throw err;
      }
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      onRequest: authBudget,
      schema: { tags: ['auth'], summary: 'Exchange a refresh token for a new pair (the old one dies)', body: RefreshBody, response: responses({ 200: TokenPair }, 400, 401, 429) },
    },
    async (request, reply) => {
      const pair = await deps.identity.refresh(request.body.refreshToken, ctx(request.id));
      return reply.header('cache-control', 'no-store').send({ ...pair, position: cursor(pair.position) });
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      onRequest: authBudget,
      schema: { tags: ['auth'], summary: 'Revoke the session family of a refresh token; its access tokens stop working at once (503 revocation_pending: recorded, not yet in force; retry)', body: RefreshBody, response: responses({ 204: Type.Null() }, 400, 401, 429, 503) },
    },
    async (request, reply) => {
      await deps.identity.logout(request.body.refreshToken, ctx(request.id));
      return reply.status(204).send();
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['auth'], summary: 'Public keys that verify access tokens' } },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(deps.tokens.jwks()),
  );
}

