// The fastify application: plugins, error handling and routes, built over the process's shared
// resources (src/runtime.ts) so tests can build it against their own database.

import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { BlobStore } from '../blobs/blob-store.js';
import { IdentityService } from '../commands/identity/identity-service.js';
import { ImageService } from '../commands/images/image-service.js';
import { AuditFeed } from '../queries/audit/audit-feed.js';
import { CachedAccounts } from '../queries/identity/cached-accounts.js';
import { CachedImagesQuery } from '../queries/images/cached-images-query.js';
import { ReadCache, type CacheObserver } from '../queries/cache/read-cache.js';
import { pipelineRef } from '../inference/pipeline-ref.js';
import { TimeTravel } from '../queries/time-travel.js';
import { UsersQuery } from '../queries/identity/users-query.js';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { TokenService } from '../auth/tokens.js';
import type { CheckpointWaiter } from '../checkpoints/checkpoint-waiter.js';
import { bullPrefix, type Config } from '../config.js';
import type { EventStore } from '../eventstore/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { createGuards } from './auth-guard.js';
import { createConsistency } from './consistency.js';
import { LoginThrottle } from './routes/identity/login-throttle.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerSecurity } from './plugins/security.js';
import { errorHandler } from './error-handler.js';
import { HttpProblem, problemBody, sendProblem } from './problem.js';
import { metricsRoutes } from './routes/ops/metrics.js';
import { graphqlPlugin } from './graphql/plugin.js';
import { auditRoutes } from './routes/audit/audit.js';
import { authRoutes } from './routes/identity/auth.js';
import { healthRoutes } from './routes/ops/health.js';
import { queueBoardRoutes } from './routes/ops/queue-board.js';
import { imageRoutes } from './routes/images/images.js';
import { userRoutes } from './routes/identity/users.js';
import { ProblemSchema } from './schemas.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the app is built over: the process's shared resources (src/runtime.ts provides them). */
export interface AppRuntime {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  redis: Redis;
  eventStore: EventStore;
  tokens: TokenService;
  checkpoints: CheckpointWaiter;
  metrics: Metrics;
  /** Every BullMQ queue, for the queue board. */
  queueNames: readonly string[];
}

export interface AppOptions {
  /** Serve the API; false: only /healthz, /readyz and /metrics (projector and worker roles). */
  api?: boolean;
  /** Told the outcome of every read-cache lookup (hit, miss, error, bypass); default: the runtime metrics. */
  onCacheResult?: CacheObserver;
}

export async function buildApp(rt: AppRuntime, opts: AppOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = rt.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    // A caller's X-Request-Id (if sane) becomes the correlation id of the events it causes.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemBody({ status: 404, code: 'not_found', title: 'Not found', detail: `no route ${request.method} ${request.url.split('?')[0]}`, instance: request.url.split('?')[0] })),
  );
  metricsRoutes(app, rt.metrics, { token: rt.config.metrics.token });
  healthRoutes(app, {
    postgres: async () => {
      await rt.pool.query('select 1');
    },
    redis: async () => {
      await rt.redis.ping();
    },
    eventStore: () => rt.eventStore.ping(),
  });
  if (opts.api === false) return app;

  app.addSchema(ProblemSchema);
  await registerOpenApi(app);
  await registerSecurity(app, rt.config.http.corsOrigins);
  await app.register(rateLimit, {
    global: false,
    redis: rt.redis,
    nameSpace: `${rt.config.redisKeyPrefix}v1:rate-limit:`,
    skipOnError: true, // Redis down: no per-IP limit rather than no login at all (logged by the Redis client)
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(429, 'rate_limited', 'Too many requests', `limit of ${context.max} requests per ${context.after} reached; retry later`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  await app.register(multipart, { limits: { fileSize: rt.config.images.maxUploadBytes, files: 1, fields: 10, parts: 11, fieldSize: 1024 } });

  const identity = new IdentityService(rt.eventStore, rt.tokens);
  const users = new UsersQuery(rt.pool);
  const { cache } = rt.config;
  const readCache = cache.enabled
    ? new ReadCache({ redisUrl: rt.config.redisUrl, keyPrefix: rt.config.redisKeyPrefix, ttlSeconds: cache.ttlSeconds, timeoutMs: cache.timeoutMs, localMaxBytes: cache.localMaxBytes, logger: rt.logger, onResult: opts.onCacheResult ?? rt.metrics.observeCache })
    : undefined;
  app.addHook('onClose', (_app, done) => {
    readCache?.close();
    done();
  });
  const accounts = new CachedAccounts(users, readCache);
  const guards = createGuards(rt.tokens, accounts);
  const ensureConsistent = createConsistency(rt.checkpoints, rt.config.http.consistencyTimeoutMs);
  authRoutes(app, {
    identity,
    tokens: rt.tokens,
    throttle: new LoginThrottle(rt.redis, rt.config.redisKeyPrefix, rt.config.auth.failedLoginsPerAccount, rt.logger),
    rateLimitPerIpPerMinute: rt.config.auth.rateLimitPerIpPerMinute,
  });
  const timeTravel = new TimeTravel(rt.eventStore);
  userRoutes(app, { identity, users, timeTravel, ...guards, ensureConsistent });
  const blobs = new BlobStore(rt.pool);
  const imagesQuery = new CachedImagesQuery(rt.pool, readCache);
  imageRoutes(app, {
    images: new ImageService(rt.eventStore, blobs),
    query: imagesQuery,
    timeTravel,
    blobs,
    authenticate: guards.authenticate,
    ensureConsistent,
    currentModel: () => pipelineRef(rt.config.workers.detector),
    limits: { maxBytes: rt.config.images.maxUploadBytes, maxPixels: rt.config.images.maxPixels },
  });
  auditRoutes(app, { store: rt.eventStore, requireRole: guards.requireRole });
  await queueBoardRoutes(app, { tokens: rt.tokens, users, requireRole: guards.requireRole, redisUrl: rt.config.redisUrl, prefix: bullPrefix(rt.config), queues: rt.queueNames, secureCookie: rt.config.nodeEnv === 'production' });
  await app.register(graphqlPlugin, { config: rt.config, principalFor: guards.principalFor, accounts, images: imagesQuery, users, audit: new AuditFeed(rt.eventStore), ensureConsistent, onCacheResult: opts.onCacheResult ?? rt.metrics.observeCache });
  return app;
}
