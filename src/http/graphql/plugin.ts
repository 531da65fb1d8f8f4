// /graphql (queries over HTTP, subscriptions over WebSocket with graphql-transport-ws), /graphiql
// outside production, and GET /graphql/schema.graphql (the schema as the code defines it).
// Registered as an encapsulated plugin: mercurius sets its own error handler, which must not
// replace the problem+json handler of the REST routes.

import type { FastifyInstance } from 'fastify';
import type { DocumentNode, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AccessLookup } from '../auth-guard.js';
import type { Config } from '../../config.js';
import type { CachedImagesQuery } from '../../queries/images/cached-images-query.js';
import type { UsersQuery } from '../../queries/identity/users-query.js';
import type { EnsureConsistent } from '../consistency.js';
import { httpContext, wsAuthenticate, type PrincipalFor } from './context.js';
import { createErrorFormatter, formatError } from './errors.js';
import { checkComplexity, checkLength } from './limits.js';
import { queryCacheEntries } from './query-cache.js';
import { checkNotJson, checkPostBody, checkQueryString } from './request-shape.js';
import { refuseSocket, releasing, WsGuard, type WsConnection } from './ws-guard.js';
import { liveTopics, subscriberEmitter } from './live.js';
import type { GraphqlPartDeps, GraphqlRecognition } from './part.js';
import { registerGraphiql } from './graphiql.js';
import type { AccessLog } from '../../commands/access/access-log.js';
import type { ImageOwners } from '../../queries/access/image-owners.js';
import { registerAccessHooks } from './access-reads.js';
import { graphqlParts, typeDefs } from './parts.js';
import { scalarResolvers } from './scalars.js';
import { graphql } from './graphql-cjs.js';

const { NoSchemaIntrospectionCustomRule, printSchema, specifiedRules, validate } = graphql;
import type { AuditFeed } from '../../queries/audit/audit-feed.js';
import type { CacheObserver } from '../../queries/cache/read-cache.js';
import { memoisableDocument, registerResponseMemo } from './response-memo.js';

export interface GraphqlDeps {
  config: Pick<Config, 'nodeEnv' | 'redisUrl' | 'redisKeyPrefix' | 'graphql'>;
  principalFor: PrincipalFor;
  /** The caller's current role and status (checked again at each subscription message). */
  accounts: AccessLookup;
  images: CachedImagesQuery;
  users: UsersQuery;
  audit: AuditFeed;
  /** Biometric reads are recorded before the answer is sent (access-reads.ts), with the owners of audit events' images. */
  access: { log: AccessLog; owners: ImageOwners };
  ensureConsistent: EnsureConsistent;
  recognition: GraphqlRecognition;
  /** Reports the response memo's hits and misses (metrics label cache="graphql"). */
  onCacheResult?: CacheObserver | undefined;
}

/** Resolvers (or loaders) of many parts: per type, the fields of each part. */
function mergeResolvers<T extends object>(all: readonly T[]): T {
  const out: Record<string, unknown> = {};
  for (const resolvers of all) for (const [type, fields] of Object.entries(resolvers)) out[type] = { ...(out[type] as object | undefined), ...(fields as object) };
  return out as T;
}

export async function graphqlPlugin(app: FastifyInstance, deps: GraphqlDeps): Promise<void> {
  const { config } = deps;
  const limits = config.graphql;
  const production = config.nodeEnv === 'production';
  const extraRules = production ? [NoSchemaIntrospectionCustomRule] : [];
  // No "Did you mean …?" in production (like introspection: the schema is not for strangers).
  const hideSuggestions = production;
  const maxTokens = Math.max(1_000, Math.ceil(limits.maxQueryLength / 2));
  const ws = new WsGuard({ initTimeoutMs: limits.wsInitTimeoutMs, maxSubscriptionsPerSocket: limits.wsMaxSubscriptionsPerSocket, maxSubscriptionsPerUser: limits.wsMaxSubscriptionsPerUser });
  const authenticateSocket = wsAuthenticate(deps.principalFor);
  const live = subscriberEmitter(config, app.log);
  app.addHook('onClose', () => live.close());

  const partDeps: GraphqlPartDeps = { images: deps.images, users: deps.users, audit: deps.audit, imageOwners: deps.access.owners, accounts: deps.accounts, ensureConsistent: deps.ensureConsistent, limits, topics: liveTopics(config.redisKeyPrefix), recognition: deps.recognition };
  const resolvers = mergeResolvers<IResolvers>([scalarResolvers, ...graphqlParts.map((part) => part.resolvers(partDeps))]);
  const loaders = mergeResolvers<MercuriusLoaders>(graphqlParts.flatMap((part) => (part.loaders ? [part.loaders(partDeps)] : [])));
  // A subscription's cost is checked here, where its variables are known (the WebSocket hooks do
  // not get them); errors of its set-up leave through mercurius' sendError, not the errorFormatter.
  // The subscription caps too (ws-guard.ts): a slot is taken before the resolver runs and given
  // back when its iterator ends or the socket closes.
  type SubscriptionCtx = { id?: unknown; wsConnection?: WsConnection; viewer(): Promise<{ userId: string }> };
  type Subscribe = (root: unknown, args: unknown, ctx: SubscriptionCtx, info: GraphQLResolveInfo) => Promise<AsyncIterable<unknown>>;
  for (const field of Object.values((resolvers.Subscription ?? {}) as Record<string, { subscribe: Subscribe }>)) {
    const subscribe = field.subscribe;
    field.subscribe = async (root, args, ctx, info) => {
      let release: (() => void) | undefined;
      try {
        const document: DocumentNode = { kind: graphql.Kind.DOCUMENT, definitions: [info.operation, ...Object.values(info.fragments)] };
        checkComplexity(info.schema, document, info.variableValues, limits.maxComplexity, false);
        if (ctx.wsConnection) release = ws.acquire(ctx.wsConnection, String(ctx.id), (await ctx.viewer()).userId);
        const source = await subscribe(root, args, ctx, info);
        return release ? releasing(source, release) : source;
      } catch (err) {
        release?.();
        throw formatError(err as Error, app.log, { hideSuggestions });
      }
    };
  }

  // The request's shape and the depth of its variables, before anything reads them (the response
  // memo's preHandler, mercurius' schema coercion, the cost check).
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      if (request.routeOptions.url === '/graphql' && request.method === 'POST') checkPostBody(request.body, limits.maxVariablesDepth);
      else if (request.routeOptions.url === '/graphql' && request.method === 'GET') checkQueryString(request.query, limits.maxVariablesDepth);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });

  // Before mercurius, so that its routes get the memo's hooks (off without the read cache: the
  // memo's validity is the read cache's generations).
  const memo = limits.responseMemoBytes > 0 && deps.images.tracksDependencies;
  if (memo) registerResponseMemo(app, { maxBytes: limits.responseMemoBytes, maxQueryLength: limits.maxQueryLength, images: deps.images, principalFor: deps.principalFor, onResult: deps.onCacheResult });

  // mercurius registers @fastify/websocket (1 MiB messages) and its WebSocket route in a context of
  // its own; this context's onRoute hook runs first, so it can set the message limit (ws reads
  // maxPayload for each new socket) and hand every new socket to the guard before mercurius.
  type WsHandler = (this: unknown, socket: WebSocket, request: unknown) => unknown;
  app.addHook('onRoute', function (this: unknown, route) {
    const wsRoute = route as typeof route & { wsHandler?: WsHandler };
    const wsHandler = wsRoute.wsHandler;
    if (route.url !== '/graphql' || typeof wsHandler !== 'function') return;
    const wss = (this as { websocketServer?: WebSocketServer }).websocketServer;
    if (wss) wss.options.maxPayload = Math.min(wss.options.maxPayload ?? Infinity, limits.maxBodyBytes);
    wsRoute.wsHandler = function (this: unknown, socket, request) {
      ws.watch(socket);
      return wsHandler.call(this, socket, request);
    };
  });

  // mercurius' own routes are not REST operations: the OpenAPI document leaves them out (its
  // description points to /graphiql, where the GraphQL schema is documented).
  app.addHook('onRoute', (route) => {
    if (route.url === '/graphql') route.schema = { ...route.schema, hide: true };
  });

  await app.register(mercurius, {
    schema: [...typeDefs],
    resolvers,
    loaders,
    path: '/graphql',
    // GraphiQL is ours (graphiql.ts): mercurius' page loads React and GraphiQL from a CDN.
    graphiql: false,
    queryDepth: limits.maxDepth,
    allowBatchedQueries: false,
    // The body limit of /graphql (413 body_too_large; the app's default is for REST).
    additionalRouteOptions: { bodyLimit: limits.maxBodyBytes },
    // Parsed documents kept: by count in mercurius, so the count follows from a byte budget.
    cache: queryCacheEntries(limits.queryCacheBytes, maxTokens),
    // A query seen twice is compiled (graphql-jit): the frontends send the same few queries.
    jit: 2,
    validationRules: extraRules,
    // graphql 16.10+ reads hideSuggestions; mercurius' type predates it.
    graphql: { parseOptions: { maxTokens }, validateOptions: { hideSuggestions } as object },
    errorFormatter: createErrorFormatter(app.log, { hideSuggestions }),
    context: (request) => httpContext(deps.principalFor, request),
    subscription: {
      emitter: live.emitter,
      // Called at connection_init, with the socket: stops its clock, gives it its slots, and
      // authenticates the caller from the init payload here, where the socket is known, so that a
      // refused token closes the socket even if it never subscribes (an acknowledged socket would
      // otherwise stay open with nothing to bound it).
      context: async (socket) => {
        const { wsConnection } = ws.onConnectionInit(socket);
        const auth = await authenticateSocket(wsConnection?.initPayload);
        if (auth.refused && wsConnection) refuseSocket(wsConnection, formatError(auth.refused, app.log));
        return { wsConnection, ...auth };
      },
      keepAlive: 30_000,
    },
  });
  const checkSubscription = (schema: GraphQLSchema, document: DocumentNode) => {
    // The WebSocket path skips graphql validation; run it (and the production rules) here. Depth:
    // mercurius checks it on this path too.
    const errors = validate(schema, document, [...specifiedRules, ...extraRules], { hideSuggestions });
    if (errors[0]) throw formatError(errors[0], app.log, { hideSuggestions });
  };
  const checkSource = (source: unknown) => {
    checkLength(source, limits.maxQueryLength);
    checkNotJson(source);
    return Promise.resolve();
  };
  app.graphql.addHook('preParsing', (_schema, source) => checkSource(source));
  app.graphql.addHook('preExecution', (schema, document, context, variables) => {
    checkComplexity(schema, document, variables as Record<string, unknown> | undefined, limits.maxComplexity);
    if (context.memo && !memoisableDocument(document)) context.memo.untracked();
    return Promise.resolve();
  });
  if (memo) {
    app.graphql.addHook('onResolution', (execution, context) => {
      if (execution.errors?.length) context.memo?.untracked();
      return Promise.resolve();
    });
  }
  registerAccessHooks(app, deps.access.log);
  app.graphql.addHook('preSubscriptionParsing', (_schema, source, context, id) => {
    const { wsConnection, refused } = context as { wsConnection?: WsConnection; refused?: Error };
    if (refused) throw refuseSocket(wsConnection, formatError(refused, app.log));
    ws.checkId(wsConnection, String(id));
    return checkSource(source);
  });
  app.graphql.addHook('preSubscriptionExecution', (schema, document) => Promise.resolve(checkSubscription(schema, document)));

  // Like introspection, not in production.
  if (!production) {
    registerGraphiql(app);
    app.get('/graphql/schema.graphql', { schema: { hide: true } }, (_request, reply) => reply.type('text/plain; charset=utf-8').send(printSchema(app.graphql.schema)));
  }
}
