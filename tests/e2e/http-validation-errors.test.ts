// Errors a newcomer can act on (issue 19 item 12): a bad enum lists the allowed values, every
// problem of a body comes back at once, a 429 names its window (and when to retry), and a known
// path called with the wrong method is 405 with `Allow`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';

const LIMIT = 6;
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp('http_validation', { AUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
});
afterAll(async () => {
  await t.stop();
});

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string; allowedValues?: unknown[] }[];
  [k: string]: unknown;
}

describe('validation problems', () => {
  it('an enum (a union of literals) lists its allowed values', async () => {
    const res = await call<Problem>(t.baseUrl, 'GET', '/v1/images?ordering=name');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/ordering', message: "must be one of '-uploadedAt', 'uploadedAt'", allowedValues: ['-uploadedAt', 'uploadedAt'] }]);
    expect(res.body.detail).toBe("querystring/ordering must be one of '-uploadedAt', 'uploadedAt'");
  });

  it('every problem of a body comes back at once', async () => {
    const res = await call<Problem>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 42, password: { not: 'a string' }, nickname: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const paths = res.body.errors!.map((e) => e.path).sort();
    expect(paths).toEqual(['/displayName', '/email', '/nickname', '/password']);
    expect(res.body.errors).toContainEqual({ path: '/displayName', message: 'is required' });
    expect(res.body.errors).toContainEqual({ path: '/nickname', message: 'is not a known property' });
  });
});

describe('methods', () => {
  it('a known path with the wrong method is 405 with Allow; an unknown path stays 404', async () => {
    const res = await call<Problem>(t.baseUrl, 'DELETE', '/v1/auth/register');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'method_not_allowed', allowed: ['POST'] });
    const get = await call<Problem>(t.baseUrl, 'PUT', '/healthz');
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const missing = await call<Problem>(t.baseUrl, 'DELETE', '/v1/nothing-here');
    expect([missing.status, missing.body.code]).toEqual([404, 'not_found']);
  });
});

describe('rate limit', () => {
  it('429 says the limit and its window, and when to retry', async () => {
    let res = await call<Problem>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'nobody@example.com', password: 'wrong password' } });
    for (let i = 0; i < LIMIT && res.status !== 429; i++) res = await call<Problem>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('rate_limited');
    expect(res.body.detail).toMatch(new RegExp(`^limit of ${LIMIT} requests per 1 minute reached; retry in \\d+ s$`));
    expect(res.body.windowSeconds).toBe(60);
    expect(Number(res.headers.get('retry-after'))).toBe(res.body.retryAfterSeconds);
  });
});
