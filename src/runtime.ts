// Builds and tears down the process's shared resources (pool, event store, Redis) in one place. Part
// of the composition root: it also carries what the roles get injected (the projectors' commit
// hooks, the queue names the HTTP app's queue board shows).

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { ensureDatabase } from './db/ensure-database.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { noteRedisDown, noteRedisReady, redisAddress, reportRedisError } from './db/redis-outage.js';
import { createEventStore, describeEventStore } from './eventstore/create-event-store.js';
import { claimCheckpoints } from './checkpoints/checkpoint-source.js';
import { startPrivacy, type Privacy } from './privacy/start-privacy.js';
import { personalData } from './domain/personal-data.js';
import { checkEventStoreServer } from './eventstore/esdb/server-check.js';
import { loadSigningKeys } from './auth/keys.js';
import { TokenService } from './auth/tokens.js';
import { CheckpointWaiter } from './checkpoints/checkpoint-waiter.js';
import { commitHooks, type CommitHooks } from './commit-hooks.js';
import { instrumentEventStore } from './eventstore/instrumented-event-store.js';
import { Metrics } from './metrics/metrics.js';
import { queueNames } from './workers/index.js';
import { AnalyzerPool } from './workers/images/analyzer-pool.js';
import type { PhotoAnalyzer } from './inference/types.js';
import { DescriptorScan } from './inference/descriptor-scan.js';
import { FaceGalleries } from './queries/recognition/face-galleries.js';
import { PeopleQuery } from './queries/people/people-query.js';
import type { WorkerRoleDeps } from './workers/worker-role.js';
import type { AppRuntime } from './http/api-services.js';
import { ed25519CheckpointSigner, type CheckpointSigner } from './notary/checkpoint.js';

/** The shared resources every role is built over (what the HTTP app needs, AppRuntime, and more). */
export interface Runtime extends AppRuntime {
  /** Told around every read-model commit (cache invalidation, live notices); built on first use. */
  readonly commitHooks: CommitHooks;
  /** Signs the notary's checkpoints with the service key (the projector role's notary runner). */
  readonly checkpointSigner: CheckpointSigner;
  /** What the people reactor looks up (worker role): the face index, the people read model, their checkpoints. */
  readonly recognition: NonNullable<WorkerRoleDeps['recognition']>;
  /** Why Redis could not be reached at start (the process runs degraded until it can); undefined when it could. */
  readonly redisUnreachableAtStart: string | undefined;
  close(): Promise<void>;
}

export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  await ensureDatabase(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { onError: (err) => logger.warn({ err }, 'idle PostgreSQL client failed') });
  const applied = await migrate(pool);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');

  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  // The first connection attempt is awaited: Redis out of reach at start is said once, by main
  // (`facetrail started degraded …`), not as a ready server; later outages once each (src/db/redis-outage.ts).
  let starting = true;
  let firstError: string | undefined; // ECONNREFUSED …: what connect() rejects with says less ("Connection is closed.")
  redis.on('error', (err) => {
    if (starting) firstError ??= err.message;
    else reportRedisError(logger, 'runtime', err);
  });
  redis.on('ready', () => {
    if (noteRedisReady()) logger.info({ redis: redisAddress(config.redisUrl) }, 'Redis connection restored');
  });
  const redisAtStart = await redis.connect().then(
    () => undefined,
    (err: Error) => {
      noteRedisDown(); // the components' own connections fail alike: told once, by the start-up warning
      return firstError ?? err.message;
    },
  );
  starting = false;

  const metrics = new Metrics();
  const store = await createEventStore({
    eventStoreUrl: config.eventStoreUrl,
    esdbMaxAppendBytes: config.esdbMaxAppendBytes,
    pool,
    databaseUrl: config.databaseUrl,
    onBackgroundError: (err) => logger.warn({ err: err.message }, 'event store background connection error'),
  });
  let privacy: Privacy;
  // One store per database: refuse checkpoints of the other store kind before anything subscribes.
  try {
    await claimCheckpoints(pool, describeEventStore(config.eventStoreUrl));
    await checkEventStoreServer(store, logger); // EventStoreDB < 22.6 (0-0 positions): refused here, or on first connection
    privacy = await startPrivacy({
      pool,
      databaseUrl: config.databaseUrl,
      settings: config.privacy,
      allowDevKek: config.nodeEnv !== 'production',
      declarations: personalData,
      onListenError: (err) => logger.warn({ err: err.message }, 'key shred listener error'),
    });
  } catch (err) {
    await metrics.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    redis.disconnect();
    await pool.end().catch(() => undefined);
    throw err;
  }
  if (privacy.kekSource !== 'file') {
    logger.warn({ file: config.privacy.devKekFile }, 'sealing personal data with a development key-encryption key; set PRIVACY_KEK_FILE in production');
  }
  // Personal fields sealed on append and opened on read, for every role (src/privacy).
  const eventStore = instrumentEventStore(privacy.seal(store), metrics);

  const keys = await loadSigningKeys({
    privateKeyPem: config.auth.privateKeyPem,
    privateKeyFile: config.auth.privateKeyFile,
    devKeyFile: config.auth.devKeyFile,
    allowDevKey: config.nodeEnv !== 'production',
  });
  if (keys.generatedForDevelopment) {
    logger.warn({ file: config.auth.devKeyFile }, 'signing JWTs with a development key; set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE in production');
  }
  const tokens = new TokenService(keys, {
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    accessTtlSeconds: config.auth.accessTtlSeconds,
    refreshTtlSeconds: config.auth.refreshTtlSeconds,
  });
  const checkpoints = new CheckpointWaiter(pool, config.databaseUrl, (err) => logger.warn({ err: err.message }, 'checkpoint listener error'));

  let hooks: CommitHooks | undefined;
  // One in-memory face index per process, shared by face search (API) and the people reactor (worker).
  if (!eventStore.dataKeys) throw new Error('the event store does not seal personal data (src/privacy)');
  const galleries = new FaceGalleries(pool, eventStore.dataKeys, { maxFaces: config.recognition.maxFacesInMemory });
  let scan: Promise<DescriptorScan> | undefined;
  const recognitionIndex = {
    galleries,
    // The coarse scan's onnxruntime session, made on first use (most processes never search).
    scan: () =>
      (scan ??= DescriptorScan.create().catch((err: unknown) => {
        scan = undefined;
        throw err;
      })),
  };
  const peopleLookups = new PeopleQuery(pool, eventStore);
  const recognition: Runtime['recognition'] = {
    lookups: peopleLookups,
    neighbours: {
      async nearestEach(ownerId, modelSha256, descriptors, k) {
        const gallery = (await galleries.of(ownerId)).get(modelSha256);
        return gallery ? gallery.nearestEach(await recognitionIndex.scan(), descriptors, k) : descriptors.map(() => []);
      },
    },
    async caughtUp(position) {
      if (!(await checkpoints.waitFor(['face-index', 'people'], position, config.http.consistencyTimeoutMs))) {
        throw new Error('the face index or the people read model is behind the analysis; retrying');
      }
    },
  };
  // A photo searched with is analysed here, in the API process, on a thread of its own (started on
  // the first such search, so a process that never gets one never loads the models).
  let searchPool: Promise<AnalyzerPool> | undefined;
  const searchAnalyzer: PhotoAnalyzer = {
    analyze: async (bytes, options) => {
      const pool = (searchPool ??= AnalyzerPool.create({ size: 1, threads: config.workers.inferenceThreads || undefined }).catch((err: unknown) => {
        searchPool = undefined;
        throw err;
      }));
      return (await pool).analyze(bytes, options);
    },
  };
  return {
    config,
    logger,
    pool,
    redis,
    eventStore,
    storedEventStore: store,
    tokens,
    checkpoints,
    metrics,
    privacy,
    checkpointSigner: ed25519CheckpointSigner(keys),
    get commitHooks() {
      return (hooks ??= commitHooks({ config, logger, redis, pool, localData: eventStore.localData, opener: privacy.opener }));
    },
    queueNames,
    redisUnreachableAtStart: redisAtStart,
    searchAnalyzer,
    recognitionIndex,
    recognition,
    async close() {
      if (searchPool) await (await searchPool.catch(() => undefined))?.close().catch((err: unknown) => logger.error({ err }, 'closing the search analyzer failed'));
      await metrics.close().catch((err: unknown) => logger.error({ err }, 'closing the metrics collectors failed'));
      await checkpoints.close().catch((err: unknown) => logger.error({ err }, 'closing the checkpoint listener failed'));
      await eventStore.close().catch((err: unknown) => logger.error({ err }, 'closing the event store failed'));
      await privacy.close().catch((err: unknown) => logger.error({ err }, 'closing the key store failed'));
      redis.disconnect();
      await pool.end().catch((err: unknown) => logger.error({ err }, 'closing the PostgreSQL pool failed'));
    },
  };
}
