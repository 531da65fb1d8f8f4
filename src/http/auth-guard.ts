// Bearer authentication and role checks for routes. The token proves who the caller is; the
// users read model supplies the current role and whether the account is still active, and the
// revocation set (rm.sessions + Redis marks) whether its session still stands: one cached entry
// per user, one lookup per request (cached-accounts.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseBearer } from '../auth/bearer.js';
import type { TokenService } from '../auth/tokens.js';
import type { Role } from '../domain/identity/roles.js';
import type { Access } from '../queries/identity/cached-accounts.js';
import { AUTH_ERROR_CODES } from '../auth/errors.js';
import { HttpProblem } from './problem.js';

export interface Principal {
  userId: string;
  role: Role;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The caller's account and revoked sessions (CachedAccounts). */
export interface AccessLookup {
  access(userId: string): Promise<Access>;
}

/** The 401 codes of a bearer-authenticated route: the token's (AuthError) and the account's and session's below. */
export const BEARER_PROBLEM_CODES: readonly string[] = [...AUTH_ERROR_CODES, 'account_deactivated', 'session_revoked'];

/** The caller an `Authorization` header value proves (HTTP routes, GraphQL, WebSocket connection_init). */
export function createAuthenticator(tokens: TokenService, accounts: AccessLookup) {
  return async function principalFor(authorization: string | undefined): Promise<Principal> {
    const token = parseBearer(authorization);
    const claims = await tokens.verifyAccessToken(token);
    const { account: user, revokedSessions } = await accounts.access(claims.userId);
    if (user?.status === 'deactivated') throw new HttpProblem(401, 'account_deactivated', 'Unauthorized', 'this account is deactivated');
    if (revokedSessions.includes(claims.sessionId)) throw new HttpProblem(401, 'session_revoked', 'Unauthorized', 'this session has ended (logout or revocation); log in again');
    // Right after registration the read model may not have the user yet: the token's role stands.
    return { userId: claims.userId, role: user?.role ?? claims.role, sessionId: claims.sessionId };
  };
}

export function createGuards(tokens: TokenService, accounts: AccessLookup) {
  const principalFor = createAuthenticator(tokens, accounts);
  const authenticate: Guard = async (request) => {
    request.principal = await principalFor(request.headers.authorization);
  };

  const requireRole =
    (...roles: Role[]): Guard =>
    async (request, reply) => {
      await authenticate(request, reply);
      if (!roles.includes(request.principal!.role)) {
        throw new HttpProblem(403, 'forbidden', 'Forbidden', `this needs the role ${roles.join(' or ')}`);
      }
    };

  return { authenticate, requireRole, principalFor };
}

/** The authenticated caller; only call in routes guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpProblem(401, 'missing_token', 'Unauthorized', 'authentication required');
  return request.principal;
}
