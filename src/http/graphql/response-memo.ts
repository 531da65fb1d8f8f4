// The GraphQL response memo: the body of an answer made only of read-cache entries is kept in this
// process with the entries it was made from (key + generation), and the same query from the same
// caller is answered with that body for as long as Redis confirms every one of those generations
// (one round trip). Executing and serialising a page of faces (272 objects per image) cost far more
// than reading it: this is what keeps GraphQL near REST, whose representation is cheaper to write.
//
// What may be memoised, and only then:
//   - a POST whose operation's root fields are all in MEMOISABLE_ROOTS (plain fields, no fragments);
//   - every read it made went through the read cache (CacheDependencies complete: a Redis failure,
//     a bypass or an untracked resolver such as Image.owner makes it incomplete);
//   - the answer is 200 without errors.
// The key is the caller (user id AND current role, checked on every request before the memo is
// consulted: a deactivated or demoted caller never gets an old answer) and a SHA-256 of the
// operation name, the variables (consistentWith among them) and the query text: a key costs the
// same few bytes whatever the variables weigh (the body they come in is bounded, and their depth
// was checked before this hook, request-shape.ts). Visibility depends on nothing else.

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { CachedImagesQuery } from '../../queries/images/cached-images-query.js';
import { CacheDependencies, type CacheDependency, type CacheObserver } from '../../queries/cache/read-cache.js';
import type { Principal } from '../auth-guard.js';
import type { PrincipalFor } from './context.js';
import { graphql } from './graphql-cjs.js';

/** Root fields answered from read-cache entries alone (their nested fields track their reads). */
const MEMOISABLE_ROOTS = new Set(['image', 'images', '__typename']);

interface Memo {
  body: string;
  dependencies: CacheDependency[];
}

/** A request that may be memoised once answered. */
export interface PendingMemo {
  key: string;
  dependencies: CacheDependencies;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller as authenticated before the memo was consulted (the GraphQL context reuses it). */
    graphqlPrincipal?: Promise<Principal>;
    graphqlMemo?: PendingMemo;
  }
}

export interface ResponseMemoOptions {
  /** Bodies (and keys) kept, in characters. */
  maxBytes: number;
  maxQueryLength: number;
  images: CachedImagesQuery;
  principalFor: PrincipalFor;
  onResult?: CacheObserver | undefined;
}

const verdicts = new WeakMap<DocumentNode, boolean>();

/** One query operation whose root selections are plain fields of MEMOISABLE_ROOTS. */
export function memoisableDocument(document: DocumentNode): boolean {
  let verdict = verdicts.get(document);
  if (verdict === undefined) {
    const operations = document.definitions.filter((d) => d.kind === graphql.Kind.OPERATION_DEFINITION);
    const [operation] = operations;
    verdict =
      operations.length === 1 &&
      operation!.operation === graphql.OperationTypeNode.QUERY &&
      operation!.selectionSet.selections.every((s) => s.kind === graphql.Kind.FIELD && MEMOISABLE_ROOTS.has(s.name.value) && (s.directives ?? []).length === 0);
    verdicts.set(document, verdict);
  }
  return verdict;
}

/** The memo key of a request: the caller in clear, the rest hashed (never the variables' text). */
export function memoKey(caller: Pick<Principal, 'userId' | 'role'>, body: { query: string; variables?: unknown; operationName?: unknown }): string {
  // JSON.stringify never writes a raw newline, so the newline ends the first part unambiguously.
  const digest = createHash('sha256')
    .update(JSON.stringify([body.operationName ?? null, body.variables ?? null]))
    .update('\n')
    .update(body.query)
    .digest('base64url');
  return `${caller.userId}:${caller.role}:${digest}`;
}

/** What the memo holds, for tests and diagnostics. */
export interface ResponseMemoStats {
  entries(): number;
  /** Characters of bodies and keys held. */
  bytes(): number;
}

/** Registers the memo's hooks on the GraphQL plugin's context (before mercurius' routes). */
export function registerResponseMemo(app: FastifyInstance, opts: ResponseMemoOptions): ResponseMemoStats {
  const memos = new LRUCache<string, Memo>({ maxSize: opts.maxBytes });
  const report = (result: 'hit' | 'miss') => {
    try {
      opts.onResult?.('graphql', result);
    } catch {
      /* an observer must never break a read */
    }
  };

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/graphql') return;
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown } | null | undefined;
    if (typeof body?.query !== 'string' || body.query.length > opts.maxQueryLength) return;
    const principal = opts.principalFor(request.headers.authorization);
    request.graphqlPrincipal = principal;
    let caller: Principal;
    try {
      caller = await principal;
    } catch {
      return; // the resolvers get the same rejection and answer it with its code
    }
    const key = memoKey(caller, { query: body.query, variables: body.variables, operationName: body.operationName });
    const memo = memos.get(key);
    if (memo && (await opts.images.stillCurrent(memo.dependencies))) {
      report('hit');
      return reply.code(200).type('application/json; charset=utf-8').send(memo.body);
    }
    if (memo) memos.delete(key);
    request.graphqlMemo = { key, dependencies: new CacheDependencies() };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const pending = request.graphqlMemo;
    if (pending && reply.statusCode === 200 && typeof payload === 'string' && pending.dependencies.complete) {
      const size = payload.length + pending.key.length;
      if (size <= opts.maxBytes) {
        memos.set(pending.key, { body: payload, dependencies: pending.dependencies.list() }, { size });
        report('miss');
      }
    }
    return payload;
  });
  return { entries: () => memos.size, bytes: () => memos.calculatedSize };
}
