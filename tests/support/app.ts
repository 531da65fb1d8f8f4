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
}

export async function startTestApp(label: string, env: Record<string, string> = {}, overrides: Partial<Config> = {}, opts: InProcessAppOptions = {}): Promise<TestApp> {
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
  const system = await startInProcessApp(config, testLogger, opts);
  return {
    app: system.app,
    runtime: system.runtime,
    db,
    baseUrl: system.baseUrl,
    images: system.images,
    async stop() {
      await system.stop();
      // The runtime's pool is the app's; the database is dropped after it closes.
      await db.drop().catch(() => undefined);
    },
  };
}
