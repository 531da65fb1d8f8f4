// The cases of auth-revocation-cases.ts with Redis gone: everything is set up and cached while
// Redis is up, then the app's connections to Redis are cut (a TCP proxy we stop; the real Redis,
// shared with other test files, stays up). The revocation mark cannot be written nor the cache
// read: rm.sessions and rm.users must already know when the command answers.

import { afterAll, beforeAll } from 'vitest';
import { TEST_REDIS_URL } from '../../support/redis-test-prefix.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { revocationCases } from './auth-revocation-cases.js';

const target = new URL(TEST_REDIS_URL);
const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
let t: TestApp;
beforeAll(async () => {
  await proxy.start();
  t = await startTestApp('auth_revocation_down', { REDIS_URL: proxy.url });
}, 60_000);
afterAll(async () => {
  await proxy.start();
  await t.stop();
  await proxy.stop();
});

revocationCases('redis down', () => t, () => proxy.stop());
