// Every rejection the identity slice promises, over HTTP.

import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../src/auth/keys.js';
import { TokenService } from '../../src/auth/tokens.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventCount, latestWrittenPosition } from '../../support/database.js';
import { call } from '../support/http.js';

let t: TestApp;
let userId: string;
let accessToken: string;
let sessionId: string;
const password = 'a perfectly fine password';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

beforeAll(async () => {
  t = await startTestApp('security', { AUTH_FAILED_LOGINS_PER_ACCOUNT: '3' });
  const reg = await call<{ userId: string; position: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'eve@example.com', password, displayName: 'Eve' } });
  userId = reg.body.userId;
  const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'eve@example.com', password } });
  accessToken = tok.body.accessToken;
  sessionId = (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
  await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
});
afterAll(async () => {
  await t.stop();
});

async function me(authorization: string | undefined) {
  return call(t.baseUrl, 'GET', '/v1/me', { headers: authorization === undefined ? {} : { authorization } });
}

describe('token rejections on a protected route', () => {
  it('accepts the genuine token', async () => {
    expect((await me(`Bearer ${accessToken}`)).status).toBe(200);
  });

  it.each([
    ['no header', undefined, 'missing_token'],
    ['empty header', '', 'missing_token'],
    ['wrong scheme', `Basic ${b64url('eve:pw')}`, 'malformed_authorization'],
    ['two tokens', `Bearer a b`, 'malformed_authorization'],
    ['garbage token', 'Bearer not.a.jwt', 'token_invalid'],
  ])('%s → 401 %s', async (_label, header, code) => {
    const res = await me(header);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ code });
  });

  it('rejects alg none', async () => {
    const [, payload] = accessToken.split('.');
    const none = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;
    expect((await me(`Bearer ${none}`)).body).toMatchObject({ code: 'token_invalid' });
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const jwk = t.runtime.tokens.jwks().keys[0]!;
    const [, payload] = accessToken.split('.');
    const header = b64url({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid });
    for (const secret of [JSON.stringify(jwk), Buffer.from(jwk.x!, 'base64url')]) {
      const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      const res = await me(`Bearer ${header}.${payload}.${sig}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'token_invalid' });
    }
  });

  it('rejects a tampered payload', async () => {
    const [h, p, s] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${b64url({ ...claims, role: 'admin' })}.${s}`;
    expect((await me(`Bearer ${forged}`)).body).toMatchObject({ code: 'token_invalid' });
  });

  it('rejects wrong issuer, wrong audience and expired tokens', async () => {
    // Same keys as the server, other claims: only the claim checks can reject these.
    const cfg = t.runtime.config.auth;
    const signing = await loadSigningKeys({ devKeyFile: cfg.devKeyFile, allowDevKey: true });
    const input = { userId, role: 'user' as const, sessionId };
    const wrongIss = await new TokenService(signing, { issuer: 'someone-else', audience: cfg.audience }).issueAccessToken(input);
    const wrongAud = await new TokenService(signing, { issuer: cfg.issuer, audience: 'another-api' }).issueAccessToken(input);
    const expired = await new TokenService(signing, { issuer: cfg.issuer, audience: cfg.audience }).issueAccessToken(input, new Date(Date.now() - 3_600_000));
    expect((await me(`Bearer ${wrongIss.token}`)).body).toMatchObject({ code: 'token_invalid' });
    expect((await me(`Bearer ${wrongAud.token}`)).body).toMatchObject({ code: 'token_invalid' });
    expect((await me(`Bearer ${expired.token}`)).body).toMatchObject({ code: 'token_expired' });
  });

  it('rejects a refresh token used as an access token', async () => {
    const tok = await call<{ refreshToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'eve@example.com', password } });
    expect((await me(`Bearer ${tok.body.refreshToken}`)).body).toMatchObject({ code: 'token_invalid' });
  });
});

describe('input rejections', () => {
  it('409 on a taken e-mail, whatever its case or Unicode form', async () => {
    await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'J\u00e9r\u00f4me@Example.fr', password, displayName: 'J' } });
    const again = await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'je\u0301ro\u0302me@EXAMPLE.FR', password, displayName: 'J2' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'email_taken' });
    const login = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: ' JE\u0301RO\u0302ME@example.fr ', password } });
    expect(login.status).toBe(200);
  });

  it('20 concurrent registrations of one address: exactly one wins', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: i % 2 ? email.toUpperCase() : email, password, displayName: `R${i}` } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toMatchObject({ code: 'email_taken' });
  });

  it.each([
    ['short password', { email: 'x1@example.com', password: 'short', displayName: 'X' }, 'weak_password'],
    ['bad e-mail', { email: 'not-an-email', password, displayName: 'X' }, 'invalid_email'],
    ['blank display name', { email: 'x2@example.com', password, displayName: '   ' }, 'invalid_display_name'],
    ['missing field', { email: 'x3@example.com', password }, 'validation_failed'],
    ['extra field', { email: 'x4@example.com', password, displayName: 'X', role: 'admin' }, 'validation_failed'],
    ['wrong type', { email: 42, password, displayName: 'X' }, 'validation_failed'],
  ])('register: %s → 400 %s, nothing written', async (_label, body, code) => {
    const before = await eventCount(t.runtime.pool);
    const res = await call(t.baseUrl, 'POST', '/v1/auth/register', { body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, code });
    expect(await eventCount(t.runtime.pool)).toBe(before);
  });

  it('malformed and oversized JSON bodies get problem responses', async () => {
    const malformed = await call(t.baseUrl, 'POST', '/v1/auth/token', { raw: '{"email": "a@b.c", ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'malformed_body' });
    const huge = await call(t.baseUrl, 'POST', '/v1/auth/token', { raw: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: 'body_too_large' });
    const wrongType = await call(t.baseUrl, 'POST', '/v1/auth/token', { raw: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrongType.status).toBe(415);
  });

  it('unknown e-mail and wrong password get the same answer', async () => {
    const unknown = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'nobody@example.com', password } });
    const wrong = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'eve@example.com', password: 'not the password' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(unknown.body)).toEqual(strip(wrong.body));
  });

  it('throttles failed logins per account with 429 and Retry-After', async () => {
    await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'mallory@example.com', password, displayName: 'M' } });
    for (let i = 0; i < 3; i++) {
      expect((await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'mallory@example.com', password: 'guess guess guess' } })).status).toBe(401);
    }
    const blocked = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'MALLORY@example.com', password } });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'too_many_login_attempts' });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other accounts are not affected.
    expect((await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'eve@example.com', password } })).status).toBe(200);
  });
});

describe('roles and accounts', () => {
  it('a user cannot call admin routes', async () => {
    const res = await call(t.baseUrl, 'POST', `/v1/admin/users/${userId}/role`, { token: accessToken, body: { role: 'admin' } });
    expect(res.status).toBe(403);
  });

  it("a deactivated user's tokens stop working and it cannot log in or refresh", async () => {
    const reg = await call<{ userId: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'gone@example.com', password, displayName: 'Gone' } });
    const tok = await call<{ accessToken: string; refreshToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'gone@example.com', password } });
    await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
    const { IdentityService } = await import('../../src/commands/identity/identity-service.js');
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    const deactivated = await identity.deactivate(reg.body.userId, 'test', { correlationId: 't', actor: { id: 'admin', kind: 'system' } });
    await t.runtime.checkpoints.waitFor(['users'], deactivated!, 10_000);
    const res = await me(`Bearer ${tok.body.accessToken}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'account_deactivated' });
    const login = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'gone@example.com', password } });
    expect(login.status).toBe(403);
    expect(login.body).toMatchObject({ code: 'account_deactivated' });
    const refresh = await call(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: tok.body.refreshToken } });
    expect(refresh.status).toBe(401);
  });
});

describe('per-IP rate limit', () => {
  it('answers 429 problem+json with Retry-After past the limit', async () => {
    const small = await startTestApp('ratelimit', { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await call(small.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'x@example.com', password } })).status);
      expect(codes).toEqual([401, 401, 401, 429]);
      const last = await call(small.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'x@example.com', password } });
      expect(last.body).toMatchObject({ code: 'rate_limited', status: 429 });
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await small.stop();
    }
  });
});
