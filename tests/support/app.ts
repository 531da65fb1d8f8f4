// A whole API (runtime + fastify app + projectors) over a fresh database, for e2e tests.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { startProjectors } from '../../src/projections/start-projectors.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startWorkers } from '../../src/workers/start-workers.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { testLogger } from './silent-logger.js';

export interface TestApp {
  app: FastifyInstance;
  runtime: Runtime;
  db: TestDatabase;
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startTestApp(label: string, env: Record<string, string> = {}, overrides: Partial<Config> = {}, opts: { workers?: boolean; app?: AppOptions } = {}): Promise<TestApp> {
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
  const runtime = await startRuntime(config, testLogger);
  const app = await buildApp(runtime, opts.app);
  const projectors = startProjectors(runtime);
  const workers = opts.workers ? await startWorkers(runtime) : undefined;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    runtime,
    db,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      await app.close();
      await Promise.all(projectors.map((p) => p.stop()));
      await workers?.stop();
      // The runtime's pool is the app's; the database is dropped after it closes.
      await runtime.close();
      await db.drop().catch(() => undefined);
    },
  };
}
