// Logout, a revoked refresh-token family, a deactivation and a demotion end the old access token
// on the very next request, with Redis up (cases in auth-revocation-cases.ts); and each half of
// the revocation set works alone: the Redis mark before the sessions projection has anything, and
// the projection's own invalidation for a revocation that did not come through the API.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { CacheKeys } from '../../src/queries/cache/cache-keys.js';
import { generationBumper } from '../../src/queries/cache/generation-bumper.js';
import { revocationMarks } from '../../src/queries/identity/revocation-marks.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';
import { revocationCases } from './auth-revocation-cases.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('auth_revocation');
}, 60_000);
afterAll(async () => {
  await t.stop();
});

revocationCases('redis up', () => t, () => Promise.resolve());

describe('the two halves of the revocation set', () => {
  it('a Redis mark refuses a session rm.sessions does not know as revoked', async () => {
    const { userId } = await tokenFor(t, 'marked@example.com', 'user');
    const sessionId = randomUUID(); // a session the sessions projection never saw
    const { token } = await t.runtime.tokens.issueAccessToken({ userId, role: 'user', sessionId });
    await t.runtime.checkpoints.waitFor(['users'], (await t.runtime.eventStore.headPosition())!, 10_000);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token })).status).toBe(200);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token })).status).toBe(200); // cached
    const { config, redis } = t.runtime;
    expect(await revocationMarks({ redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: 60, readTimeoutMs: 1_000, writeTimeoutMs: 1_000 }).mark(userId, sessionId)).toBe(true);
    await generationBumper({ redis, logger: testLogger, ttlSeconds: 60, timeoutMs: 1_000 })([new CacheKeys(config.redisKeyPrefix).userGen(userId)]);
    const next = await call(t.baseUrl, 'GET', '/v1/me', { token });
    expect(next.status).toBe(401);
    expect(next.body).toMatchObject({ code: 'session_revoked' });
  });

  it('a logout outside the API (no mark, no bump) applies once the sessions projection has it', async () => {
    await tokenFor(t, 'cli@example.com', 'user');
    const pair = await call<{ accessToken: string; refreshToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'cli@example.com', password: 'audit trail password 42' } });
    const token = pair.body.accessToken;
    await t.runtime.checkpoints.waitFor(['users', 'sessions'], (await t.runtime.eventStore.headPosition())!, 10_000);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token })).status).toBe(200);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token })).status).toBe(200); // cached
    const position = await new IdentityService(t.runtime.eventStore, t.runtime.tokens).logout(pair.body.refreshToken, { correlationId: 'test' });
    await t.runtime.checkpoints.waitFor(['sessions'], position!, 10_000);
    const next = await call(t.baseUrl, 'GET', '/v1/me', { token });
    expect(next.status).toBe(401);
    expect(next.body).toMatchObject({ code: 'session_revoked' });
  });
});
