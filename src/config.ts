// The environment, parsed and validated once at start-up. A bad value stops the process with a
// message naming the variable; nothing else in the code reads process.env.

import os from 'node:os';

export type Role = 'all' | 'api' | 'projector' | 'worker';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  role: Role;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** LOG_FORMAT: `auto` (readable lines in development on a terminal, JSON otherwise), `json` or `pretty`. */
  logFormat: 'auto' | 'json' | 'pretty';
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key this process writes (lets several deployments share a Redis). */
  redisKeyPrefix: string;
  /** Unset: the PostgreSQL event store in DATABASE_URL. `esdb://…`: EventStoreDB. */
  eventStoreUrl: string | undefined;
  /**
   * ESDB_MAX_APPEND_BYTES: the EventStoreDB server's MaxAppendSize (its default, 1 MiB): the port
   * refuses larger appends (append_too_large) before sending them. Set it to the server's value
   * when the server runs with another MaxAppendSize. Ignored by the PostgreSQL store (16 MiB).
   */
  esdbMaxAppendBytes: number;
  shutdownTimeoutMs: number;
  auth: {
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    /** PKCS8 PEM of an Ed25519 key (JWT_PRIVATE_KEY) … */
    privateKeyPem: string | undefined;
    /** … or a path to one (JWT_PRIVATE_KEY_FILE). Neither: a generated development key (not in production). */
    privateKeyFile: string | undefined;
    devKeyFile: string;
    /** Per-IP requests per minute on /v1/auth/* routes. */
    rateLimitPerIpPerMinute: number;
    /** Failed logins per account AND client (IP) per 15 minutes before that client gets 429 for that account. */
    failedLoginsPerAccount: number;
    /**
     * Failed logins per account from all clients per 15 minutes (AUTH_FAILED_LOGINS_BACKSTOP) after
     * which only clients that logged in to it before (30 days) may try until the window ends.
     */
    failedLoginsBackstop: number;
  };
  privacy: {
    /** PRIVACY_KEK_FILE: the key-encryption keys (JSON {active, keys}); required in production. */
    kekFile: string | undefined;
    /** PRIVACY_DEV_KEK_FILE: where a development KEK is created when PRIVACY_KEK_FILE is unset (not in production). */
    devKekFile: string;
    /** PRIVACY_KEY_CACHE_ENTRIES: unwrapped data keys each process keeps in memory. */
    keyCacheEntries: number;
    /** PRIVACY_KEY_CACHE_TTL_MS: longest a cached key is used without a shred notice reaching the process. */
    keyCacheTtlMs: number;
    /**
     * BIOMETRIC_RETENTION_DAYS: biometric data (faces) is kept this many days from the subject's
     * last interaction, then erased; stated in the published policy (GET /v1/privacy/policy).
     */
    biometricRetentionDays: number;
  };
  /** The biometric access log (issue 16; src/domain/access). */
  accessLog: {
    /**
     * ACCESS_LOG_RETENTION_DAYS: access records are kept this many days, then their day's key is
     * shredded. At least 183 (six months: EU AI Act Art. 19(1) and 26(6)); lower is refused.
     */
    retentionDays: number;
    /** ACCESS_LOG_SELF=true: a subject reading their own biometric data is recorded too (default false). */
    logSelf: boolean;
  };
  notary: {
    /** NOTARY_CHECKPOINT_EVERY_EVENTS: a signed checkpoint after this many new leaves of the tree. */
    checkpointEveryEvents: number;
    /** NOTARY_CHECKPOINT_EVERY_MS: and this long after the last one when the tree grew meanwhile. */
    checkpointEveryMs: number;
  };
  /** Face search and verification (issue 17; src/queries/recognition). */
  recognition: {
    /**
     * RECOGNITION_MATCH_THRESHOLD: the largest descriptor distance that counts as the same person
     * (default 0.45; ARCHITECTURE.md "Recognition" has the measurements behind it).
     */
    matchThreshold: number;
    /** FACE_INDEX_MAX_FACES: most faces an API process keeps in memory for search (least recently searched owners dropped first). */
    maxFacesInMemory: number;
    /** PEOPLE_MIN_FACES: faces with no person, of different photos, within the threshold of each other that make a new person automatically (default 3, as Immich). */
    peopleMinFaces: number;
  };
  images: {
    /** Largest accepted upload in bytes. */
    maxUploadBytes: number;
    /** Largest accepted image in pixels (width × height), against decompression bombs. */
    maxPixels: number;
    /**
     * Pixels (width × height) the API's upload checks may decode at once (UPLOAD_CHECK_PIXELS_IN_FLIGHT);
     * an upload over the budget waits, an image larger than the whole budget runs alone.
     */
    checkPixelsInFlight: number;
    /** How long an upload waits for that budget before 503 `uploads_busy` with Retry-After (UPLOAD_CHECK_WAIT_MS). */
    checkWaitMs: number;
    /** Uploads per user per minute, counted in Redis across API processes (UPLOAD_RATE_LIMIT_PER_MINUTE); over it: 429. */
    uploadsPerUserPerMinute: number;
  };
  cache: {
    /** READ_CACHE=on|off: the Redis cache of image reads and gallery pages (src/queries/cache). */
    enabled: boolean;
    /** Safety net: how long an entry no invalidation reached may live. */
    ttlSeconds: number;
    /** Longest a cache command may take before the read goes to PostgreSQL instead. */
    timeoutMs: number;
    /** Decoded entries each API process keeps (bounded by their JSON size), so a hit skips the transfer and the parse. */
    localMaxBytes: number;
  };
  workers: {
    /** Analysis jobs one worker process runs at once. */
    concurrency: number;
    detector: 'ssd' | 'tiny';
    /** onnxruntime threads per model session (0 = onnxruntime's default). */
    inferenceThreads: number;
    /** BullMQ job lock; a worker that dies loses its job after this long. */
    jobLockMs: number;
    attempts: number;
    backoffMs: number;
    /** Scheduler: images pending longer than this are requested again. */
    stuckPendingMinutes: number;
    /** Scheduler: blobs no live image references are deleted after this grace period. */
    blobGraceSeconds: number;
    /** How often the schedulers run. */
    schedulerEveryMs: number;
  };
  graphql: {
    /** Deepest selection nesting a query may have. */
    maxDepth: number;
    /** Highest estimated cost (list fields multiply their children by `first`). */
    maxComplexity: number;
    /** Largest `first` of a connection. */
    maxFirst: number;
    /** Longest query text, in characters. */
    maxQueryLength: number;
    /** Memoised response bodies each API process keeps (src/http/graphql/response-memo.ts); 0: none. */
    responseMemoBytes: number;
    /** Largest request body of /graphql (answered 413 `body_too_large` beyond). */
    maxBodyBytes: number;
    /** Deepest nesting of arrays/objects in `variables` (the object itself is 1); 400 `variables_too_deep` beyond. */
    maxVariablesDepth: number;
    /** Parsed documents mercurius keeps (its two caches, valid and invalid), as a byte budget. */
    queryCacheBytes: number;
    /** A WebSocket that has not sent connection_init by then is closed (4408). */
    wsInitTimeoutMs: number;
    /** Subscriptions one WebSocket may hold at once (then `too_many_subscriptions`). */
    wsMaxSubscriptionsPerSocket: number;
    /** Subscriptions one user may hold at once, counted per API process. */
    wsMaxSubscriptionsPerUser: number;
  };
  http: {
    /** How long a read with consistentWith waits for the projection. */
    consistencyTimeoutMs: number;
    /** Allowed CORS origins (comma-separated CORS_ORIGINS); empty = same-origin only. */
    corsOrigins: string[];
    /** A whole request (headers and body) must arrive within this (HTTP_REQUEST_TIMEOUT_MS); else 408 and the socket closes. */
    requestTimeoutMs: number;
    /** The request headers must arrive within this (HTTP_HEADERS_TIMEOUT_MS; capped at the request timeout). */
    headersTimeoutMs: number;
    /** A socket with no bytes either way for this long is closed (HTTP_IDLE_TIMEOUT_MS; keep it above the SSE heartbeat, 15 s, and CONSISTENCY_TIMEOUT_MS). */
    idleTimeoutMs: number;
    /** A kept-alive connection with no request for this long is closed (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
    keepAliveTimeoutMs: number;
    /** API_DOCS=on|off: serve the OpenAPI document and Swagger UI at /docs; default on, off in production. */
    docs: boolean;
  };
  metrics: {
    /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <token>`; required in production. */
    token: string | undefined;
  };
}

/** BullMQ keys live under the deployment's Redis prefix: `<REDIS_KEY_PREFIX>bull:<queue>:…`. */
export const bullPrefix = (config: Pick<Config, 'redisKeyPrefix'>): string => `${config.redisKeyPrefix}bull`;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}='${v}' must be one of: ${allowed.join(', ')}`);
    return fallback;
  }

  decimal(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}='${v}' must be a number from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}='${v}' must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  }

  url(name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      this.problems.push(`${name} is not a valid URL`);
      return v;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must use ${protocols.map((p) => `${p}//`).join(' or ')} (got ${parsed.protocol}//)`);
    }
    return v;
  }
}

/** Like libpq: a URL without a user connects as PGUSER, else as the operating-system user. */
function withDefaultUser(url: string, env: Env): string {
  const parsed = new URL(url);
  if (parsed.username) return url;
  parsed.username = encodeURIComponent(env.PGUSER ?? env.USER ?? os.userInfo().username);
  return parsed.toString();
}

/** The AI Act's floor for the logs of a biometric system: six months (Art. 19(1), 26(6)). */
export const MIN_ACCESS_LOG_RETENTION_DAYS = 183;

/** The default RECOGNITION_MATCH_THRESHOLD (ARCHITECTURE.md "Recognition": measured same/different-person distances). */
export const DEFAULT_MATCH_THRESHOLD = 0.45;

function accessLogRetentionDays(r: Reader): number {
  const days = r.int('ACCESS_LOG_RETENTION_DAYS', MIN_ACCESS_LOG_RETENTION_DAYS, 0, 36_500);
  if (days < MIN_ACCESS_LOG_RETENTION_DAYS) {
    r.problems.push(`ACCESS_LOG_RETENTION_DAYS='${days}' is below ${MIN_ACCESS_LOG_RETENTION_DAYS}: the EU AI Act (Art. 19(1), 26(6)) requires the logs of a biometric system to be kept at least six months`);
  }
  return days;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const databaseUrl = r.url('DATABASE_URL', 'postgres://localhost:5432/facetrail', ['postgres:', 'postgresql:'])!;
  if (r.problems.length === 0 && new URL(databaseUrl).pathname.replace(/^\//, '') === '') {
    r.problems.push('DATABASE_URL must name a database (…/facetrail)');
  }
  const databaseUrlWithUser = r.problems.length === 0 ? withDefaultUser(databaseUrl, env) : databaseUrl;
  const config: Config = {
    nodeEnv,
    role: r.oneOf('FACETRAIL_ROLE', ['all', 'api', 'projector', 'worker'] as const, 'all'),
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 3000, 0, 65535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    databaseUrl: databaseUrlWithUser,
    redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!,
    redisKeyPrefix: r.string('REDIS_KEY_PREFIX', 'ft:'),
    eventStoreUrl: r.url('EVENT_STORE_URL', undefined, ['esdb:', 'esdb+discover:']),
    esdbMaxAppendBytes: r.int('ESDB_MAX_APPEND_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    auth: {
      issuer: r.string('JWT_ISSUER', 'facetrail'),
      audience: r.string('JWT_AUDIENCE', 'facetrail-api'),
      accessTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 300, 30, 86_400),
      refreshTtlSeconds: r.int('REFRESH_TOKEN_TTL_SECONDS', 86_400, 60, 90 * 86_400),
      privateKeyPem: r.optional('JWT_PRIVATE_KEY'),
      privateKeyFile: r.optional('JWT_PRIVATE_KEY_FILE'),
      devKeyFile: r.string('JWT_DEV_KEY_FILE', '.keys/jwt-dev.json'),
      rateLimitPerIpPerMinute: r.int('AUTH_RATE_LIMIT_PER_MINUTE', 30, 1, 100_000),
      failedLoginsPerAccount: r.int('AUTH_FAILED_LOGINS_PER_ACCOUNT', 10, 1, 10_000),
      failedLoginsBackstop: r.int('AUTH_FAILED_LOGINS_BACKSTOP', 100, 1, 1_000_000),
    },
    privacy: {
      kekFile: r.optional('PRIVACY_KEK_FILE'),
      devKekFile: r.string('PRIVACY_DEV_KEK_FILE', '.keys/kek-dev.json'),
      keyCacheEntries: r.int('PRIVACY_KEY_CACHE_ENTRIES', 10_000, 1, 10_000_000),
      keyCacheTtlMs: r.int('PRIVACY_KEY_CACHE_TTL_MS', 60_000, 100, 3_600_000),
      // BIPA: at most three years from the last interaction (the default); 0 erases at the next run.
      biometricRetentionDays: r.int('BIOMETRIC_RETENTION_DAYS', 1_095, 0, 36_500),
    },
    accessLog: {
      retentionDays: accessLogRetentionDays(r),
      logSelf: r.oneOf('ACCESS_LOG_SELF', ['true', 'false'] as const, 'false') === 'true',
    },
    notary: {
      checkpointEveryEvents: r.int('NOTARY_CHECKPOINT_EVERY_EVENTS', 1_000, 1, 100_000_000),
      checkpointEveryMs: r.int('NOTARY_CHECKPOINT_EVERY_MS', 60_000, 10, 86_400_000),
    },
    recognition: {
      matchThreshold: r.decimal('RECOGNITION_MATCH_THRESHOLD', DEFAULT_MATCH_THRESHOLD, 0, 2),
      maxFacesInMemory: r.int('FACE_INDEX_MAX_FACES', 2_000_000, 1_000, 100_000_000),
      peopleMinFaces: r.int('PEOPLE_MIN_FACES', 3, 2, 100),
    },
    images: {
      maxUploadBytes: r.int('MAX_UPLOAD_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxPixels: r.int('MAX_IMAGE_PIXELS', 40_000_000, 1, 1_000_000_000),
      checkPixelsInFlight: r.int('UPLOAD_CHECK_PIXELS_IN_FLIGHT', 160_000_000, 1, 10_000_000_000),
      checkWaitMs: r.int('UPLOAD_CHECK_WAIT_MS', 10_000, 0, 600_000),
      uploadsPerUserPerMinute: r.int('UPLOAD_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    },
    cache: {
      enabled: r.oneOf('READ_CACHE', ['on', 'off'] as const, 'on') === 'on',
      ttlSeconds: r.int('READ_CACHE_TTL_SECONDS', 300, 1, 86_400),
      timeoutMs: r.int('READ_CACHE_TIMEOUT_MS', 50, 1, 10_000),
      localMaxBytes: r.int('READ_CACHE_LOCAL_MB', 32, 0, 4_096) * 1024 * 1024,
    },
    workers: {
      concurrency: r.int('WORKER_CONCURRENCY', 2, 1, 64),
      detector: r.oneOf('ANALYSIS_DETECTOR', ['ssd', 'tiny'] as const, 'ssd'),
      inferenceThreads: r.int('INFERENCE_THREADS', 1, 0, 64),
      jobLockMs: r.int('JOB_LOCK_MS', 30_000, 1_000, 3_600_000),
      attempts: r.int('ANALYSIS_ATTEMPTS', 3, 1, 20),
      backoffMs: r.int('ANALYSIS_BACKOFF_MS', 2_000, 10, 3_600_000),
      stuckPendingMinutes: r.int('STUCK_PENDING_MINUTES', 15, 1, 10_080),
      blobGraceSeconds: r.int('BLOB_GRACE_SECONDS', 3_600, 0, 30 * 86_400),
      schedulerEveryMs: r.int('SCHEDULER_EVERY_MS', 300_000, 1_000, 86_400_000),
    },
    graphql: {
      maxDepth: r.int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
      maxComplexity: r.int('GRAPHQL_MAX_COMPLEXITY', 5_000, 10, 10_000_000),
      maxFirst: r.int('GRAPHQL_MAX_FIRST', 100, 1, 10_000),
      maxQueryLength: r.int('GRAPHQL_MAX_QUERY_LENGTH', 10_000, 100, 1_000_000),
      responseMemoBytes: r.int('GRAPHQL_RESPONSE_MEMO_MB', 16, 0, 4_096) * 1024 * 1024,
      maxBodyBytes: r.int('GRAPHQL_MAX_BODY_BYTES', 256 * 1024, 1_024, 64 * 1024 * 1024),
      maxVariablesDepth: r.int('GRAPHQL_MAX_VARIABLES_DEPTH', 32, 2, 1_000),
      queryCacheBytes: r.int('GRAPHQL_QUERY_CACHE_MB', 128, 1, 4_096) * 1024 * 1024,
      wsInitTimeoutMs: r.int('GRAPHQL_WS_INIT_TIMEOUT_MS', 10_000, 100, 600_000),
      wsMaxSubscriptionsPerSocket: r.int('GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 32, 1, 10_000),
      wsMaxSubscriptionsPerUser: r.int('GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_USER', 128, 1, 100_000),
    },
    http: {
      consistencyTimeoutMs: r.int('CONSISTENCY_TIMEOUT_MS', 5_000, 0, 60_000),
      corsOrigins: (r.optional('CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean),
      requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
      headersTimeoutMs: r.int('HTTP_HEADERS_TIMEOUT_MS', 20_000, 100, 3_600_000),
      idleTimeoutMs: r.int('HTTP_IDLE_TIMEOUT_MS', 75_000, 100, 3_600_000),
      keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
      docs: r.oneOf('API_DOCS', ['on', 'off'] as const, nodeEnv === 'production' ? 'off' : 'on') === 'on',
    },
    metrics: {
      token: r.optional('METRICS_TOKEN'),
    },
    ...overrides,
  };
  if (nodeEnv === 'production' && !config.auth.privateKeyPem && !config.auth.privateKeyFile) {
    r.problems.push('JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE must be set in production');
  }
  if (nodeEnv === 'production' && !config.privacy.kekFile) {
    r.problems.push('PRIVACY_KEK_FILE must be set in production (the key-encryption keys of personal data; README, "Privacy")');
  }
  // An open /metrics tells anyone the routes, the traffic and the queue depths.
  if (nodeEnv === 'production' && !config.metrics.token) {
    r.problems.push('METRICS_TOKEN must be set in production (GET /metrics then needs Authorization: Bearer <token>)');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Every environment variable loadConfig reads (deployment files are checked against it). */
export function configVariableNames(): string[] {
  const names = new Set<string>();
  const recorder = new Proxy<Env>({}, {
    get: (_target, name) => {
      if (typeof name === 'string') names.add(name);
      return undefined;
    },
  });
  loadConfig(recorder);
  return [...names].sort();
}
