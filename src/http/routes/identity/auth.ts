// /v1/auth/*: register, token (login), refresh (rotation), logout; /.well-known/jwks.json.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../../../auth/tokens.js';
import type { IdentityService } from '../../../commands/identity/identity-service.js';
import { positionToCursor, type Position } from '../../../eventstore/position.js';
import { DomainError } from '../../../domain/decider.js';
import { httpOnlyCookie, readCookie } from '../../cookies.js';
import { HttpProblem } from '../../problem.js';
import type { LoginThrottle } from './login-throttle.js';
import { PASSWORD_POLICY } from '../../../auth/passwords.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';
import { rateLimitProblem } from '../../rate-limit-problem.js';

export interface AuthRouteDeps {
  identity: IdentityService;
  tokens: TokenService;
  throttle: LoginThrottle;
  rateLimitPerIpPerMinute: number;
  /** Production: the console's refresh cookie is Secure. */
  secureCookie: boolean;
}

// The console's session (issue 18): the access token lives only in the page's memory; the refresh
// token never reaches script at all — it is an HttpOnly, SameSite=Strict cookie sent only to
// /v1/auth/session (Path), so no other route, no cross-site request and no injected script gets it.
// The refresh route also wants the X-Facetrail-Console header, which a cross-site form cannot send
// and a cross-origin script cannot send without a CORS preflight that the API does not grant.
export const SESSION_COOKIE = 'ft_refresh';
export const SESSION_PATH = '/v1/auth/session';
export const CONSOLE_HEADER = 'x-facetrail-console';

const Email = Type.String({ minLength: 3, maxLength: 254, description: 'Compared case-insensitively after Unicode NFC normalisation' });
const Password = Type.String({ minLength: 1, maxLength: 256 });
// The rule is the domain's (checkPasswordPolicy, after NFKC normalisation, so not a JSON Schema
// minLength): a shorter password is 400 weak_password, not validation_failed.
const NewPassword = Type.String({
  maxLength: PASSWORD_POLICY.maxLength,
  description: `At least ${PASSWORD_POLICY.minLength} characters (Unicode code points after NFKC normalisation), at most ${PASSWORD_POLICY.maxLength}, not only whitespace; else 400 weak_password`,
});
const EXAMPLE_LOGIN = { email: 'ada@example.com', password: 'correct horse battery' };
const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false, examples: [EXAMPLE_LOGIN] });
const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 4096, description: 'The refreshToken of POST /v1/auth/token or /v1/auth/refresh' }) },
  { additionalProperties: false, examples: [{ refreshToken: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl' }] },
);
/** Login (token, session): the throttle, the credentials, the account. */
const LOGIN_PROBLEMS = { 401: ['invalid_credentials', 'account_erased'], 403: ['account_deactivated'], 409: ['session_exists'], 429: ['rate_limited', 'too_many_login_attempts'] } as const;
/** A refresh token presented (refresh, logout, the console's cookie). */
const REFRESH_PROBLEMS = { 401: ['token_invalid', 'token_expired', 'refresh_token_reused', 'session_not_found', 'account_erased', 'account_deactivated'], 429: ['rate_limited'] } as const;
/** The console's cookie routes want X-Facetrail-Console: 1 and the cookie. */
const COOKIE_PROBLEMS = { 400: ['console_header_required'], 401: ['missing_token'] } as const;
const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  refreshExpiresIn: Type.Integer({ description: 'Seconds until the refresh token expires' }),
  position: Type.Union([PositionCursor, Type.Null()]),
});

const AccessToken = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  userId: Uuid,
  position: Type.Union([PositionCursor, Type.Null()]),
});

const cursor = (p: Position | undefined) => (p ? positionToCursor(p) : null);

export function authRoutes(parent: FastifyInstance, deps: AuthRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // One per-IP budget for every /v1/auth/* route: a route's own `config.rateLimit` would count per
  // route (@fastify/rate-limit keys its store by method and URL), so register, token, refresh and
  // logout would each get the whole budget. One limiter, one key per client IP (request.ip, under
  // the app's trustProxy setting), used by all four.
  const authBudget = app.rateLimit({ max: deps.rateLimitPerIpPerMinute, timeWindow: 60_000, keyGenerator: (request) => `auth:${request.ip}`, errorResponseBuilder: rateLimitProblem(60_000) });
  const ctx = (requestId: string) => ({ correlationId: requestId });
  /** Login under the per-account and per-IP failure throttle. */
  const login = async (body: { email: string; password: string }, ip: string, requestId: string) => {
    await deps.throttle.check(body.email, ip);
    try {
      const pair = await deps.identity.login(body, ctx(requestId));
      await deps.throttle.recordSuccess(body.email, ip);
      return pair;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') await deps.throttle.recordFailure(body.email, ip);
      throw err;
    }
  };
  const sessionCookie = (token: string, maxAgeSeconds: number) => httpOnlyCookie(SESSION_COOKIE, token, { path: SESSION_PATH, maxAgeSeconds, secure: deps.secureCookie });
  /** The pair's refresh token goes into the cookie; the body carries only the access token. */
  const sendSession = (reply: FastifyReply, pair: { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn: number; position?: Position }, userId: string) =>
    reply
      .header('cache-control', 'no-store')
      .header('set-cookie', sessionCookie(pair.refreshToken, pair.refreshExpiresIn))
      .send({ accessToken: pair.accessToken, tokenType: 'Bearer' as const, expiresIn: pair.expiresIn, userId, position: cursor(pair.position) });
  const refreshCookieOf = (request: FastifyRequest): string => {
    if (request.headers[CONSOLE_HEADER] !== '1') throw new HttpProblem(400, 'console_header_required', 'Bad request', `send the header ${CONSOLE_HEADER}: 1 (cross-site requests cannot)`);
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) throw new HttpProblem(401, 'missing_token', 'Unauthorized', `no session cookie: sign in with POST ${SESSION_PATH}`);
    return token;
  };

  app.post(
    '/v1/auth/register',
    {
      onRequest: authBudget,
      schema: {
        tags: ['auth'],
        summary: 'Register a user (role user)',
        body: Type.Object(
          { email: Email, password: NewPassword, displayName: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false, examples: [{ ...EXAMPLE_LOGIN, displayName: 'Ada' }] },
        ),
        response: responses(
          { 201: Type.Object({ userId: Uuid, position: PositionCursor }) },
          { 400: ['invalid_email', 'invalid_display_name', 'weak_password', 'invalid_password'], 409: ['email_taken', 'user_exists'], 429: ['rate_limited'] },
        ),
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
        body: LoginBody,
        response: responses({ 200: TokenPair }, 400, LOGIN_PROBLEMS),
      },
    },
    async (request, reply) => {
      const pair = await login(request.body, request.ip, request.id);
      return reply.header('cache-control', 'no-store').send({ ...pair, position: cursor(pair.position) });
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      onRequest: authBudget,
      schema: { tags: ['auth'], summary: 'Exchange a refresh token for a new pair (the old one dies)', body: RefreshBody, response: responses({ 200: TokenPair }, 400, REFRESH_PROBLEMS) },
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
      schema: { tags: ['auth'], summary: 'Revoke the session family of a refresh token; its access tokens stop working at once (503 revocation_pending: recorded, not yet in force; retry)', body: RefreshBody, response: responses({ 204: Type.Null({ description: 'Logged out' }) }, 400, REFRESH_PROBLEMS, { 503: ['revocation_pending'] }) },
    },
    async (request, reply) => {
      await deps.identity.logout(request.body.refreshToken, ctx(request.id));
      return reply.status(204).send();
    },
  );

  app.post(
    SESSION_PATH,
    {
      onRequest: authBudget,
      schema: {
        tags: ['auth'],
        summary: `Sign in for the console: the access token in the body, the refresh token in the HttpOnly cookie ${SESSION_COOKIE} (Path=${SESSION_PATH})`,
        body: LoginBody,
        response: responses({ 200: AccessToken }, 400, LOGIN_PROBLEMS),
      },
    },
    async (request, reply) => {
      const pair = await login(request.body, request.ip, request.id);
      return sendSession(reply, pair, pair.userId);
    },
  );

  app.post(
    `${SESSION_PATH}/refresh`,
    {
      onRequest: authBudget,
      schema: {
        tags: ['auth'],
        summary: `A new access token for the console's cookie session (the cookie rotates; header ${CONSOLE_HEADER}: 1)`,
        response: responses({ 200: AccessToken }, COOKIE_PROBLEMS, REFRESH_PROBLEMS),
      },
    },
    async (request, reply) => {
      const pair = await deps.identity.refresh(refreshCookieOf(request), ctx(request.id));
      const claims = await deps.tokens.verifyAccessToken(pair.accessToken);
      return sendSession(reply, pair, claims.userId);
    },
  );

  app.delete(
    SESSION_PATH,
    {
      onRequest: authBudget,
      schema: { tags: ['auth'], summary: `Sign out of the console: revokes the cookie's session family and clears the cookie (header ${CONSOLE_HEADER}: 1)`, response: responses({ 204: Type.Null({ description: 'Signed out; the cookie is cleared' }) }, COOKIE_PROBLEMS, REFRESH_PROBLEMS, { 503: ['revocation_pending'] }) },
    },
    async (request, reply) => {
      await deps.identity.logout(refreshCookieOf(request), ctx(request.id));
      return reply.status(204).header('set-cookie', sessionCookie('', 0)).send();
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys that verify access tokens, checkpoints and erasure receipts (JWK Set, RFC 7517)',
        response: { 200: Type.Object({ keys: Type.Array(Type.Object({ kty: Type.Optional(Type.String()), kid: Type.Optional(Type.String()) }, { additionalProperties: true, description: 'A public JWK (Ed25519: kty OKP, crv, x)' })) }, { description: 'The JWK Set' }) },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(deps.tokens.jwks()),
  );
}

