// The console's cookie session over HTTP (issue 18 item 1): the refresh token only ever travels
// in an HttpOnly, SameSite=Strict cookie scoped to /v1/auth/session (never in a body), the refresh
// wants the console header (a cross-site form cannot send it), rotation kills the old cookie and a
// replayed one revokes the family, sign-out revokes and clears; the page is served under the
// console's CSP with immutable, pre-compressed assets.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';

let t: TestApp;
const email = 'cookie@example.com';
const password = 'a perfectly fine password';

beforeAll(async () => {
  t = await startTestApp('console_session_api');
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: 'Cookie' } });
});
afterAll(async () => {
  await t.stop();
});

const CONSOLE = { 'x-facetrail-console': '1' };

function cookieOf(res: { headers: Headers }): { value: string; attributes: string[] } {
  const set = res.headers.get('set-cookie') ?? '';
  const [pair = '', ...attributes] = set.split(';').map((s) => s.trim());
  expect(pair.startsWith('ft_refresh=')).toBe(true);
  return { value: pair.slice('ft_refresh='.length), attributes };
}

async function signIn() {
  const res = await call<Record<string, unknown>>(t.baseUrl, 'POST', '/v1/auth/session', { body: { email, password } });
  expect(res.status).toBe(200);
  return { res, cookie: cookieOf(res) };
}

const refresh = (cookie: string | undefined, headers: Record<string, string> = CONSOLE) =>
  call<Record<string, unknown>>(t.baseUrl, 'POST', '/v1/auth/session/refresh', { headers: { ...headers, ...(cookie === undefined ? {} : { cookie: `other=1; ft_refresh=${cookie}` }) } });

describe('the console session', () => {
  it('puts the refresh token in an HttpOnly SameSite=Strict cookie for /v1/auth/session only, never in the body', async () => {
    const { res, cookie } = await signIn();
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'position', 'tokenType', 'userId']);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(cookie.attributes).toEqual(expect.arrayContaining(['Path=/v1/auth/session', 'HttpOnly', 'SameSite=Strict']));
    expect(cookie.attributes).not.toContain('Secure'); // not production
    expect(cookie.attributes.find((a) => a.startsWith('Max-Age='))).toMatch(/^Max-Age=\d{3,}$/);
    const me = await call(t.baseUrl, 'GET', '/v1/me', { token: res.body['accessToken'] as string });
    expect(me.status).toBe(200);
  });

  it('refreshes with the cookie and the console header; rotation retires the old cookie and a replay revokes the family', async () => {
    const { cookie } = await signIn();
    expect(await refresh(cookie.value, {})).toMatchObject({ status: 400, body: { code: 'console_header_required' } });
    expect(await refresh(undefined)).toMatchObject({ status: 401, body: { code: 'missing_token' } });

    const next = await refresh(cookie.value);
    expect(next.status).toBe(200);
    expect(Object.keys(next.body)).not.toContain('refreshToken');
    const rotated = cookieOf(next);
    expect(rotated.value).not.toBe(cookie.value);
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token: next.body['accessToken'] as string })).status).toBe(200);

    // The retired cookie again (stolen and replayed): refused, and the whole family dies.
    expect(await refresh(cookie.value)).toMatchObject({ status: 401, body: { code: 'refresh_token_reused' } });
    expect(await refresh(rotated.value)).toMatchObject({ status: 401, body: { code: 'session_revoked' } });
  });

  it('signs out: the family is revoked and the cookie cleared', async () => {
    const { res, cookie } = await signIn();
    expect((await call(t.baseUrl, 'DELETE', '/v1/auth/session', {})).status).toBe(400);
    const out = await call(t.baseUrl, 'DELETE', '/v1/auth/session', { headers: { ...CONSOLE, cookie: `ft_refresh=${cookie.value}` } });
    expect(out.status).toBe(204);
    expect(cookieOf(out)).toEqual({ value: '', attributes: expect.arrayContaining(['Max-Age=0', 'Path=/v1/auth/session']) as string[] });
    expect(await refresh(cookie.value)).toMatchObject({ status: 401 });
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token: res.body['accessToken'] as string })).status).toBe(401);
    await t.assertRejectedRequestsWroteNothing();
  });

  it('serves the page under the console CSP and its assets immutable and pre-compressed', async () => {
    const page = await fetch(`${t.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = await page.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${t.baseUrl}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('br');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${t.baseUrl}/assets/nope.js`)).status).toBe(404);
  });
});
