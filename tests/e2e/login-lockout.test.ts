// Failed-login throttling is not a weapon: a stranger's failures lock out the stranger's client,
// not the owner; the per-account backstop (guessing from many clients) leaves the clients the owner
// logged in from before working; and every /v1/auth/* route draws from one per-IP budget. Clients
// are told apart by their address (fastify inject's remoteAddress; no trustProxy in tests).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

const password = 'the owner knows this one';
let t: TestApp;

const from = (app: TestApp, ip: string, url: string, payload: unknown) => app.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, remoteAddress: ip });
const login = (ip: string, email: string, pw: string, app = t) => from(app, ip, '/v1/auth/token', { email, password: pw });
const register = async (email: string) => expect((await from(t, '10.9.9.9', '/v1/auth/register', { email, password, displayName: 'Owner' })).statusCode).toBe(201);

beforeAll(async () => {
  t = await startTestApp('login_lockout', { AUTH_FAILED_LOGINS_PER_ACCOUNT: '3', AUTH_FAILED_LOGINS_BACKSTOP: '8' });
}, 60_000);
afterAll(async () => {
  await t.stop();
});

describe('failed logins per (account, client)', () => {
  it("a stranger's failures from one IP do not stop the owner logging in from another", async () => {
    await register('victim@example.com');
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await login('203.0.113.7', 'victim@example.com', `guess ${i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429, 429]);
    const blocked = await login('203.0.113.7', 'victim@example.com', 'guess again');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ code: 'too_many_login_attempts' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The stranger's client stays throttled, whatever it sends …
    expect((await login('203.0.113.7', 'victim@example.com', password)).statusCode).toBe(429);
    // … and the owner, elsewhere, logs in.
    expect((await login('198.51.100.1', 'victim@example.com', password)).statusCode).toBe(200);
  });

  it('the backstop (failures from many IPs) engages for new clients, not for one the owner used before', async () => {
    await register('target@example.com');
    expect((await login('198.51.100.2', 'target@example.com', password)).statusCode).toBe(200); // the owner's usual client
    // Eight strangers, two guesses each: 16 failures in all, none of them over the per-client limit.
    for (let s = 0; s < 8; s++) {
      for (let i = 0; i < 2; i++) {
        const res = await login(`192.0.2.${s + 1}`, 'target@example.com', `guess ${s}-${i}`);
        expect([401, 429]).toContain(res.statusCode);
      }
    }
    // A client never seen with this account is turned away, even with the right password …
    const fresh = await login('192.0.2.200', 'target@example.com', password);
    expect(fresh.statusCode).toBe(429);
    expect(fresh.json()).toMatchObject({ code: 'too_many_login_attempts' });
    // … the owner's known client is not.
    expect((await login('198.51.100.2', 'target@example.com', password)).statusCode).toBe(200);
  });
});

describe('one per-IP budget for /v1/auth/*', () => {
  it('register, refresh and token draw from the same budget', async () => {
    const small = await startTestApp('login_budget', { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const ip = '203.0.113.50';
      expect((await from(small, ip, '/v1/auth/register', { email: 'budget@example.com', password, displayName: 'B' })).statusCode).toBe(201);
      expect((await from(small, ip, '/v1/auth/refresh', { refreshToken: 'not.a.token' })).statusCode).toBe(401);
      expect((await login(ip, 'budget@example.com', password, small)).statusCode).toBe(200);
      // The budget (3) is spent, whichever route comes next.
      for (const [url, body] of [
        ['/v1/auth/token', { email: 'budget@example.com', password }],
        ['/v1/auth/register', { email: 'budget2@example.com', password, displayName: 'B' }],
        ['/v1/auth/refresh', { refreshToken: 'not.a.token' }],
        ['/v1/auth/logout', { refreshToken: 'not.a.token' }],
      ] as const) {
        const res = await from(small, ip, url, body);
        expect(res.statusCode, url).toBe(429);
        expect(res.json()).toMatchObject({ code: 'rate_limited' });
      }
      // Another client has its own budget.
      expect((await login('203.0.113.51', 'budget@example.com', password, small)).statusCode).toBe(200);
    } finally {
      await small.stop();
    }
  });
});
