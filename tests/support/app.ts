// A whole API (runtime + fastify app + projectors, and the workers when asked) over a fresh
// database and Redis prefix, for e2e tests: support/in-process-app.ts with the test defaults.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startInProcessApp, type InProcessApp, type InProcessAppOptions } from '../../support/in-process-app.js';
import { testLogger } from './silent-logger.js';

export interface TestApp extends Omit<InProcessApp, 'stopServices'> {
  db: TestDatabase;
  /**
   * Throws, naming each request, if any request answered with a status other than 2xx/3xx has an
   * event in the store with its correlation id (a rejected request writes nothing). stop() runs
   * it too, after the app has stopped serving; call it earlier to check at a point of your own.
   */
  assertRejectedRequestsWroteNothing(): Promise<void>;
}

export interface TestAppOptions extends InProcessAppOptions {
  /**
   * Rejected requests that may leave events, each with the reason (say which issue item): e.g. a
   * refresh token presented twice is refused AND records SessionRevoked{reuse_detected} on purpose.
   */
  rejectedMayWrite?: { reason: string; allows: (request: RejectedRequest, eventTypes: string[]) => boolean }[];
}

export interface RejectedRequest {
  id: string;
  method: string;
  url: string;
  status: number;
}

export async function startTestApp(label: string, env: Record<string, string> = {}, overrides: Partial<Config> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(label);
  const suffix = randomBytes(4).toString('hex');
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: `ft-test-${label}-${suffix}:`,
      JWT_DEV_KEY_FILE: path.join(os.tmpdir(), `facetrail-test-${label}-${suffix}.json`),
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      ...env,
    },
    overrides,
  );
  // Every response is noted: the rejected ones (by request id, the correlation id of the events a
  // request causes) must have written nothing; ids a client reused for an accepted request are not
  // held against the rejected one.
  const rejected = new Map<string, RejectedRequest>();
  const accepted = new Set<string>();
  const theirOnResponse = opts.app?.onResponse;
  const app = {
    ...opts.app,
    onResponse(request: { id: string; method: string; url: string }, status: number) {
      theirOnResponse?.(request, status);
      if (status >= 200 && status < 400) accepted.add(request.id);
      else rejected.set(request.id, { id: request.id, method: request.method, url: request.url.slice(0, 300), status });
    },
  };
  let system: Awaited<ReturnType<typeof startInProcessApp>>;
  try {
    system = await startInProcessApp(config, testLogger, { ...opts, app });
  } catch (err) {
    // A start that fails (e.g. a configuration a test means to refuse) must not leak its database.
    await db.drop().catch(() => undefined);
    throw err;
  }
  const assertRejectedRequestsWroteNothing = async () => {
    const suspects = [...rejected.values()].filter((r) => !accepted.has(r.id));
    const violations = await rejectedWrites(db, suspects, [...DELIBERATE, ...(opts.rejectedMayWrite ?? [])]);
    if (violations.length > 0) {
      throw new Error(
        `${violations.length} rejected request(s) wrote events (a rejected request must write nothing):\n` +
          violations.map((v) => `  ${v.request.method} ${v.request.url} -> ${v.request.status}: ${v.events.join(', ')}`).join('\n'),
      );
    }
  };
  return {
    app: system.app,
    runtime: system.runtime,
    db,
    baseUrl: system.baseUrl,
    images: system.images,
    assertRejectedRequestsWroteNothing,
    async stop() {
      let failure: Error | undefined;
      try {
        // Nothing in flight any more, then look.
        await system.stopServices();
        await assertRejectedRequestsWroteNothing();
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      } finally {
        await system.stop();
        // The runtime's pool is the app's; the database is dropped after it closes.
        await db.drop().catch(() => undefined);
      }
      if (failure) throw failure;
    },
  };
}

/**
 * Refusals that record on purpose, by design (ARCHITECTURE "Identity"): a refresh token presented
 * again after rotation is answered 401 AND revokes its session family (SessionRevoked
 * {reuse_detected}); a refresh by a deactivated user revokes its session (SessionRevoked
 * {user_deactivated}). The audit trail of an attack is the point of those events.
 */
const DELIBERATE: NonNullable<TestAppOptions['rejectedMayWrite']> = [
  {
    reason: 'refresh-token reuse and deactivated users revoke the session while refusing',
    allows: (r, types) => r.method === 'POST' && ['/v1/auth/refresh', '/v1/auth/session/refresh'].includes(r.url.split('?')[0] ?? '') && types.every((type) => type === 'SessionRevoked'),
  },
];

/** The rejected requests with events carrying their correlation id (es.events: the PostgreSQL store). */
async function rejectedWrites(db: TestDatabase, suspects: RejectedRequest[], allowed: NonNullable<TestAppOptions['rejectedMayWrite']>): Promise<{ request: RejectedRequest; events: string[] }[]> {
  if (suspects.length === 0) return [];
  const { rows } = await db.pool
    .query<{ cid: string; what: string[] }>(
      `select metadata->>'correlationId' as cid, array_agg(type || ' on ' || stream order by global_position) as what
         from es.events where metadata->>'correlationId' = any($1::text[]) group by 1`,
      [suspects.map((r) => r.id)],
    )
    .catch((err: unknown) => {
      // Another store (EventStoreDB): nothing to look at here.
      if ((err as { code?: string }).code === '42P01') return { rows: [] };
      throw err;
    });
  const byId = new Map(suspects.map((r) => [r.id, r]));
  return rows
    .map((row) => ({ request: byId.get(row.cid)!, events: row.what }))
    .filter((v) => !allowed.some((a) => a.allows(v.request, v.events.map((e) => e.split(' on ')[0]!))));
}
