// Who is asking, for GraphQL: the same Bearer JWT check as the REST guard (token, then the user's
// current role and status in rm.users). Over HTTP the Authorization header is checked lazily, once
// per request, by the first resolver that needs it; over WebSocket once, at connection_init.

import type { FastifyRequest } from 'fastify';
import type { Position } from '../../eventstore/position.js';
import type { CacheDependencies } from '../../queries/cache/read-cache.js';
import type { Principal } from '../auth-guard.js';
import { isStaff } from '../../domain/identity/policies.js';
import { gqlError } from './errors.js';

declare module 'mercurius' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface MercuriusContext extends GraphqlContext {}
}

export type PrincipalFor = (authorization: string | undefined) => Promise<Principal>;

/** What every resolver finds in its context (besides mercurius' own reply, app, pubsub). */
export interface GraphqlContext {
  /** The authenticated caller; throws the REST codes (missing_token, token_expired …). */
  viewer(): Promise<Principal>;
  /** The newest consistentWith position of the request so far (loaders read no older data). */
  readAtLeast?: Position | undefined;
  /** The cache entries the answer is made from, when it may be memoised (response-memo.ts). */
  memo?: CacheDependencies | undefined;
  /** WebSocket: why connection_init's token was refused (its code is the REST one); see wsOnConnect. */
  refused?: Error | undefined;
}

/** mercurius `context` for HTTP requests (the caller may have been authenticated by the memo already). */
export function httpContext(principalFor: PrincipalFor, request: FastifyRequest): GraphqlContext {
  let principal = request.graphqlPrincipal;
  return {
    viewer: () => (principal ??= principalFor(request.headers.authorization)),
    memo: request.graphqlMemo?.dependencies,
  };
}

/**
 * The caller of a WebSocket, from its `connection_init` payload, which must carry
 * `{ authorization: "Bearer …" }`. A missing or bad token is not refused by mercurius' onConnect:
 * it would answer a bare `Forbidden` in a message graphql-transport-ws does not have (the client
 * sees 4400 "invalid message"). The connection is acknowledged with the refusal in its context
 * instead: a subscription gets an `error` with the REST code (`missing_token`, `token_expired`,
 * …), and the socket is closed 4401 with that code as the reason, subscribed or not (plugin.ts).
 */
export function wsAuthenticate(principalFor: PrincipalFor) {
  return async (initPayload: unknown): Promise<GraphqlContext> => {
    const payload = (initPayload ?? {}) as { authorization?: unknown; Authorization?: unknown; headers?: { authorization?: unknown } };
    const header = payload.authorization ?? payload.Authorization ?? payload.headers?.authorization;
    try {
      const principal = await principalFor(typeof header === 'string' ? header : undefined);
      return { viewer: () => Promise.resolve(principal) };
    } catch (err) {
      const refused = err instanceof Error ? err : new Error(String(err));
      return { viewer: () => Promise.reject(refused), refused };
    }
  };
}

/** The staff policy (domain/identity/policies.ts) as a GraphQL refusal. */
export function requireStaff(p: Principal): void {
  if (!isStaff(p.role)) throw gqlError('forbidden', 'this needs the role admin or auditor', 403);
}
