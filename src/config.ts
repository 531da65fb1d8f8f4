// The environment, parsed and validated once at start-up. A bad value stops the process with a
// message naming the variable; nothing else in the code reads process.env.

export type Role = 'all' | 'api' | 'projector' | 'worker';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  role: Role;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  databaseUrl: string;
  redisUrl: string;
  /** Unset: the PostgreSQL event store in DATABASE_URL. `esdb://…`: EventStoreDB. */
  eventStoreUrl: string | undefined;
  shutdownTimeoutMs: number;
}

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

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const databaseUrl = r.url('DATABASE_URL', 'postgres://localhost:5432/facetrail', ['postgres:', 'postgresql:'])!;
  if (r.problems.length === 0 && new URL(databaseUrl).pathname.replace(/^\//, '') === '') {
    r.problems.push('DATABASE_URL must name a database (…/facetrail)');
  }
  const config: Config = {
    nodeEnv,
    role: r.oneOf('FACETRAIL_ROLE', ['all', 'api', 'projector', 'worker'] as const, 'all'),
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 3000, 0, 65535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    databaseUrl,
    redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!,
    eventStoreUrl: r.url('EVENT_STORE_URL', undefined, ['esdb:', 'esdb+discover:']),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    ...overrides,
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
