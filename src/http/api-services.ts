// The services the API's route groups and GraphQL parts are built over, made once per app from the
// process's shared resources: command services, read services (behind the read cache), the auth
// guards and the consistency wait. Route groups (route-groups.ts) take what they need from it.

import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { TokenService } from '../auth/tokens.js';
import { BlobStore } from '../blobs/blob-store.js';
import type { CheckpointWaiter } from '../checkpoints/checkpoint-waiter.js';
import { IdentityService } from '../commands/identity/identity-service.js';
import { ImageService } from '../commands/images/image-service.js';
import type { AccessChanges } from '../commands/identity/identity-service.js';
import { ErasureService } from '../commands/privacy/erasure-service.js';
import { eraseOnConsentWithdrawn, requireWithdrawalErased } from '../commands/privacy/consent-withdrawal.js';
import type { Config } from '../config.js';
import type { EventStore } from '../eventstore/types.js';
import type { PhotoAnalyzer } from '../inference/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Privacy } from '../privacy/start-privacy.js';
import { AuditFeed } from '../queries/audit/audit-feed.js';
import { AccessLog } from '../commands/access/access-log.js';
import { AccessQuery } from '../queries/access/access-query.js';
import { ImageOwners } from '../queries/access/image-owners.js';
import { ReadCache, type CacheObserver } from '../queries/cache/read-cache.js';
import { CachedAccounts } from '../queries/identity/cached-accounts.js';
import { revocationMarks, REVOCATION_MARGIN_SECONDS } from '../queries/identity/revocation-marks.js';
import { generationBumper } from '../queries/cache/generation-bumper.js';
import { BOARD_SESSION_SECONDS } from './routes/ops/queue-board.js';
import { accessChanges } from './access-changes.js';
import { UserHistory } from '../queries/identity/user-history.js';
import { UsersQuery } from '../queries/identity/users-query.js';
import { CachedImagesQuery } from '../queries/images/cached-images-query.js';
import { ImageHistory } from '../queries/images/image-history.js';
import { createGuards } from './auth-guard.js';
import type { FaceGalleries } from '../queries/recognition/face-galleries.js';
import { FaceSearch } from '../queries/recognition/face-search.js';
import { PeopleService } from '../commands/people/people-service.js';
import { requireConsent } from '../commands/identity/consents.js';
import { PeopleQuery } from '../queries/people/people-query.js';
import type { DescriptorScan } from '../inference/descriptor-scan.js';
import { createConsistency, type EnsureConsistent } from './consistency.js';

/** What the app is built over: the process's shared resources (src/runtime.ts provides them). */
export interface AppRuntime {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  redis: Redis;
  eventStore: EventStore;
  /**
   * The same log as stored: sealed fields as ciphertext, never opened (the notary and its proofs
   * hash this form). Never serve personal data from it.
   */
  storedEventStore: EventStore;
  tokens: TokenService;
  checkpoints: CheckpointWaiter;
  /** This process's Prometheus registry and metrics (GET /metrics). */
  metrics: Metrics;
  /** Every BullMQ queue (src/workers/index.ts), for the queue board. */
  queueNames: readonly string[];
  /** The key store and the opener of sealed personal fields (src/privacy). */
  privacy: Privacy;
  /** Analyses a photo searched with (POST /v1/faces/search with a file): one analysis thread, started on first use. */
  searchAnalyzer: PhotoAnalyzer;
  /** The process's in-memory face index and its coarse scan (shared with the people reactor). */
  recognitionIndex: { galleries: FaceGalleries; scan: () => Promise<DescriptorScan> };
}

export interface ApiServices {
  rt: AppRuntime;
  /** Absent with READ_CACHE=off. */
  readCache: ReadCache | undefined;
  onCacheResult: CacheObserver;
  identity: IdentityService;
  /** Erasure requests and receipts (the worker role's erasure executor carries them out). */
  erasures: ErasureService;
  /** What a change of who may use a token does before it is answered (access-changes.ts). */
  access: AccessChanges;
  users: UsersQuery;
  accounts: CachedAccounts;
  guards: ReturnType<typeof createGuards>;
  ensureConsistent: EnsureConsistent;
  /** Time travel: users and images as they were (asOf). */
  userHistory: UserHistory;
  imageHistory: ImageHistory;
  blobs: BlobStore;
  images: ImageService;
  imagesQuery: CachedImagesQuery;
  audit: AuditFeed;
  /** The biometric access log: records reads of someone else's biometric data before they are served (issue 16). */
  accessLog: AccessLog;
  accessQuery: AccessQuery;
  /** Image → owner (the data subject), for audit responses that show faces. */
  imageOwners: ImageOwners;
  /** Face search and verification over each user's gallery (issue 17). */
  faceSearch: FaceSearch;
  people: PeopleService;
  peopleQuery: PeopleQuery;
  /** 409 consent_required unless the user's face_recognition consent is in force now (read from their stream). */
  requireRecognitionConsent: (userId: string) => Promise<void>;
  /** Releases what the services hold (the read cache's connection). */
  close(): void;
}

export function buildApiServices(rt: AppRuntime, opts: { onCacheResult?: CacheObserver | undefined } = {}): ApiServices {
  const { cache } = rt.config;
  const onCacheResult = opts.onCacheResult ?? rt.metrics.observeCache;
  const readCache = cache.enabled
    ? new ReadCache({ redisUrl: rt.config.redisUrl, keyPrefix: rt.config.redisKeyPrefix, ttlSeconds: cache.ttlSeconds, timeoutMs: cache.timeoutMs, localMaxBytes: cache.localMaxBytes, logger: rt.logger, onResult: onCacheResult })
    : undefined;
  const users = new UsersQuery(rt.pool);
  // Access tokens of a revoked session end at once (cached-accounts.ts, access-changes.ts).
  // The window covers every token a session hands out: access tokens and board sessions.
  const revocationWindowSeconds = Math.max(rt.tokens.accessTtlSeconds, BOARD_SESSION_SECONDS) + REVOCATION_MARGIN_SECONDS;
  const marks = revocationMarks({ redis: rt.redis, keyPrefix: rt.config.redisKeyPrefix, ttlSeconds: revocationWindowSeconds, readTimeoutMs: cache.timeoutMs, writeTimeoutMs: Math.max(cache.timeoutMs, 1_000) });
  const accounts = new CachedAccounts(rt.pool, readCache, { marks: marks.marked, revocationWindowSeconds });
  const access = accessChanges({
    marks,
    bump: generationBumper({ redis: rt.redis, logger: rt.logger, ttlSeconds: cache.ttlSeconds, timeoutMs: Math.max(cache.timeoutMs, 1_000) }),
    keyPrefix: rt.config.redisKeyPrefix,
    checkpoints: rt.checkpoints,
    eventStore: rt.eventStore,
    timeoutMs: rt.config.http.consistencyTimeoutMs,
  });
  const blobs = new BlobStore(rt.pool);
  const peopleQuery = new PeopleQuery(rt.pool, rt.eventStore);
  const erasures = new ErasureService({ store: rt.eventStore, keys: rt.privacy.keys, blobs, signer: rt.tokens, checkpoints: rt.checkpoints });
  return {
    rt,
    readCache,
    onCacheResult,
    identity: new IdentityService(rt.eventStore, rt.tokens, access, { onConsentWithdrawn: eraseOnConsentWithdrawn(erasures), beforeConsentRenewed: requireWithdrawalErased(erasures, rt.config.http.consistencyTimeoutMs) }),
    erasures,
    access,
    users,
    accounts,
    guards: createGuards(rt.tokens, accounts),
    ensureConsistent: createConsistency(rt.checkpoints, rt.config.http.consistencyTimeoutMs),
    userHistory: new UserHistory(rt.eventStore),
    imageHistory: new ImageHistory(rt.eventStore),
    blobs,
    images: new ImageService(rt.eventStore, blobs),
    imagesQuery: new CachedImagesQuery(rt.pool, readCache, rt.eventStore.localData, rt.privacy.opener),
    audit: new AuditFeed(rt.eventStore),
    accessLog: new AccessLog({ store: rt.eventStore, keys: rt.privacy.keys, logSelf: rt.config.accessLog.logSelf }),
    accessQuery: new AccessQuery(rt.pool),
    imageOwners: new ImageOwners(rt.eventStore),
    faceSearch: new FaceSearch(rt.recognitionIndex.galleries, rt.recognitionIndex.scan, peopleQuery),
    people: new PeopleService(rt.eventStore, peopleQuery),
    peopleQuery,
    requireRecognitionConsent: async (userId) => {
      await requireConsent(rt.eventStore, userId, 'face_recognition');
    },
    close: () => readCache?.close(),
  };
}
