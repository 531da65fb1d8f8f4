// The identity slice end to end over HTTP against real PostgreSQL and Redis:
// register → token → me → refresh → reuse of the old refresh token (family revoked) → logout;
// an admin (created by the CLI path: IdentityService with role admin) promotes a user.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { collect } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';

let t: TestApp;
type Pair = { accessToken: string; refreshToken: string; tokenType: string; expiresIn: number; position: string };

beforeAll(async () => {
  t = await startTestApp('identity');
});
afterAll(async () => {
  await t.stop();
});

async function register(email: string, password = 'correct horse battery', displayName = 'Someone') {
  return call<{ userId: string; position: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName } });
}
async function login(email: string, password = 'correct horse battery') {
  return call<Pair>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } });
}

describe('identity flow', () => {
  it('register → token → me → refresh → reuse detected → logout', async () => {
    const reg = await register('Ada.Lovelace@Example.com', 'correct horse battery', 'Ada');
    expect(reg.status).toBe(201);
    expect(reg.body.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reg.body.position).toMatch(/^\d+-\d+$/);

    const tok = await login('ada.lovelace@example.COM');
    expect(tok.status).toBe(200);
    expect(tok.body.tokenType).toBe('Bearer');
    expect(tok.body.expiresIn).toBe(300);
    expect(tok.headers.get('cache-control')).toBe('no-store');

    const me = await call(t.baseUrl, 'GET', `/v1/me?consistentWith=${reg.body.position}`, { token: tok.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId: reg.body.userId, email: 'ada.lovelace@example.com', displayName: 'Ada', role: 'user', status: 'active' });

    const refreshed = await call<Pair>(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: tok.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(tok.body.refreshToken);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token: refreshed.body.accessToken })).status).toBe(200);

    // The old refresh token again: the family is revoked, and the newest refresh token dies with it.
    const reuse = await call(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: tok.body.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject({ code: 'refresh_token_reused' });
    const afterReuse = await call(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } });
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.body).toMatchObject({ code: 'session_revoked' });

    // The session stream tells the story, with actors and correlation ids; the read model follows.
    const sessionEvents = await collect(t.runtime.eventStore.readAll({ filter: { streamPrefixes: ['session-'] } }));
    expect(sessionEvents.map((e) => e.type)).toEqual(['SessionStarted', 'RefreshTokenRotated', 'SessionRevoked']);
    expect(sessionEvents[2]!.data).toEqual({ reason: 'reuse_detected' });
    expect(sessionEvents[0]!.metadata).toMatchObject({ actor: { id: reg.body.userId, kind: 'user' }, schemaVersion: 1 });
    expect(typeof sessionEvents[0]!.metadata.correlationId).toBe('string');
    expect(await t.runtime.checkpoints.waitFor(['sessions'], sessionEvents[2]!.position, 10_000)).toBe(true);
    const { rows } = await t.runtime.pool.query<{ status: string; revoked_reason: string; rotations: number }>(
      'select status, revoked_reason, rotations from rm.sessions where user_id = $1',
      [reg.body.userId],
    );
    expect(rows).toEqual([{ status: 'revoked', revoked_reason: 'reuse_detected', rotations: 1 }]);

    // A fresh login, then logout: the refresh token no longer works.
    const second = await login('ada.lovelace@example.com');
    const out = await call(t.baseUrl, 'POST', '/v1/auth/logout', { body: { refreshToken: second.body.refreshToken } });
    expect(out.status).toBe(204);
    const afterLogout = await call(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(afterLogout.status).toBe(401);
    expect(afterLogout.body).toMatchObject({ code: 'session_revoked' });
  });

  it('an admin promotes a user; the promoted role applies at once', async () => {
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    await identity.register(
      { email: 'root@example.com', password: 'admin password 123', displayName: 'Root', role: 'admin' },
      { correlationId: 'test', actor: { id: 'cli', kind: 'system' } },
    );
    const admin = await login('root@example.com', 'admin password 123');
    const user = await register('bob@example.com');
    const bob = await login('bob@example.com');

    const denied = await call(t.baseUrl, 'POST', `/v1/admin/users/${user.body.userId}/role`, { token: bob.body.accessToken, body: { role: 'admin' } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'forbidden' });

    const promoted = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/admin/users/${user.body.userId}/role`, {
      token: admin.body.accessToken,
      body: { role: 'auditor' },
    });
    expect(promoted.status).toBe(200);
    const me = await call(t.baseUrl, 'GET', `/v1/me?consistentWith=${promoted.body.position}`, { token: bob.body.accessToken });
    expect(me.body).toMatchObject({ role: 'auditor' });

    const unknown = await call(t.baseUrl, 'POST', `/v1/admin/users/00000000-0000-4000-8000-000000000000/role`, { token: admin.body.accessToken, body: { role: 'user' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'user_not_found' });
  });

  it('serves the public keys and the OpenAPI document', async () => {
    const jwks = await call<{ keys: Record<string, unknown>[] }>(t.baseUrl, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    const doc = await call<{ openapi: string; paths: Record<string, unknown> }>(t.baseUrl, 'GET', '/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/auth/register', '/v1/auth/token', '/v1/auth/refresh', '/v1/auth/logout', '/v1/me']));
  });
});
