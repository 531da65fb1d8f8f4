// Bull Board at /admin/queues over HTTP: no credentials → 401, a user → 403 (problem+json); an
// admin opens a board session (HttpOnly, SameSite=Strict cookie scoped to the board) and the page
// and its JSON API answer with the cookie alone, or with an admin Bearer header. The cookie token
// is no access token (nor the reverse), a tampered one is refused, and an admin demoted after
// opening a session loses the board.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_COOKIE, BOARD_SESSION_SECONDS } from '../../src/http/routes/ops/queue-board.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';

let t: TestApp;
let admin: { userId: string; token: string };
let user: { userId: string; token: string };

beforeAll(async () => {
  t = await startTestApp('queue_board');
  admin = await tokenFor(t, 'admin@example.com', 'admin');
  user = await tokenFor(t, 'user@example.com', 'user');
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

/** Opens a board session as `token`; returns the cookie pair and the raw Set-Cookie header. */
async function openSession(token: string): Promise<{ pair: string; setCookie: string; value: string }> {
  const res = await call<{ board: string; expiresAt: string }>(t.baseUrl, 'POST', '/v1/admin/queue-board/session', { token });
  expect(res.status).toBe(200);
  expect(res.body.board).toBe('/admin/queues/');
  const setCookie = res.headers.get('set-cookie') ?? '';
  const pair = setCookie.split(';')[0]!;
  return { pair, setCookie, value: pair.slice(BOARD_COOKIE.length + 1) };
}

const board = (path: string, headers: Record<string, string> = {}) => call(t.baseUrl, 'GET', `/admin/queues${path}`, { headers });

function expectProblem(res: { status: number; headers: Headers; body: unknown }, status: number, code?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect((res.body as { code: string }).code).toBe(code);
}

describe('queue board access', () => {
  it('answers 401 problem+json without credentials, on the page, its API and its static files', async () => {
    for (const path of ['', '/', '/api/queues', '/static/favicon-32x32.png', '/queue/analysis']) expectProblem(await board(path), 401, 'missing_token');
    expectProblem(await call(t.baseUrl, 'POST', '/v1/admin/queue-board/session'), 401);
  });

  it('answers 403 problem+json to a user, with a Bearer token or for a session', async () => {
    expectProblem(await board('/api/queues', { authorization: `Bearer ${user.token}` }), 403, 'forbidden');
    expectProblem(await call(t.baseUrl, 'POST', '/v1/admin/queue-board/session', { token: user.token }), 403, 'forbidden');
  });

  it('sets a short-lived HttpOnly, SameSite=Strict cookie scoped to the board for an admin', async () => {
    const { setCookie } = await openSession(admin.token);
    const attrs = setCookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).toContain('path=/admin/queues');
    expect(attrs).toContain(`max-age=${BOARD_SESSION_SECONDS}`);
    expect(attrs).not.toContain('secure'); // NODE_ENV=test; production adds Secure
  });

  it('serves the UI and its API to the session cookie alone', async () => {
    const { pair } = await openSession(admin.token);
    const page = await fetch(`${t.baseUrl}/admin/queues/`, { headers: { cookie: pair } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html, 'the page loads nothing from another origin (its font CDN link is dropped)').not.toMatch(/<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*["']?(?:https?:)?\/\//i);
    const src = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(src, 'the page loads a script').toBeTruthy();
    const script = new URL(src!, `${t.baseUrl}/admin/queues/`).pathname;
    expect(script).toMatch(/^\/admin\/queues\/static\//);
    expect((await fetch(`${t.baseUrl}${script}`, { headers: { cookie: pair } })).status).toBe(200);
    expectProblem(await call(t.baseUrl, 'GET', script), 401, 'missing_token');
    const api = await board('/api/queues', { cookie: `other=1; ${pair}` });
    expect(api.status).toBe(200);
    const names = (api.body as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['analysis', 'maintenance']);
  });

  it('also accepts an admin Bearer header (API clients)', async () => {
    const api = await board('/api/queues', { authorization: `Bearer ${admin.token}` });
    expect(api.status).toBe(200);
    expect((api.body as { queues: unknown[] }).queues).toHaveLength(2);
  });

  it('keeps board tokens and access tokens apart, and refuses a tampered cookie', async () => {
    const { value } = await openSession(admin.token);
    expectProblem(await call(t.baseUrl, 'GET', '/v1/me', { token: value }), 401, 'token_invalid');
    expectProblem(await board('/api/queues', { cookie: `${BOARD_COOKIE}=${admin.token}` }), 401, 'token_invalid');
    const tampered = value.slice(0, -4) + (value.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectProblem(await board('/api/queues', { cookie: `${BOARD_COOKIE}=${tampered}` }), 401, 'token_invalid');
    expectProblem(await board('/api/queues', { cookie: `${BOARD_COOKIE}=` }), 401, 'missing_token');
  });

  it('closes the session by clearing the cookie', async () => {
    const res = await call(t.baseUrl, 'DELETE', '/v1/admin/queue-board/session');
    expect(res.status).toBe(204);
    const attrs = (res.headers.get('set-cookie') ?? '').split(';').map((a) => a.trim().toLowerCase());
    expect(attrs[0]).toBe(`${BOARD_COOKIE}=`);
    expect(attrs).toContain('max-age=0');
    expect(attrs).toContain('path=/admin/queues');
  });

  it('takes the board away from an admin demoted after opening a session', async () => {
    const second = await tokenFor(t, 'second-admin@example.com', 'admin');
    const { pair } = await openSession(second.token);
    expect((await board('/api/queues', { cookie: pair })).status).toBe(200);
    const change = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/admin/users/${second.userId}/role`, { token: admin.token, body: { role: 'user' } });
    expect(change.status).toBe(200);
    await call(t.baseUrl, 'GET', `/v1/users/${second.userId}?consistentWith=${change.body.position}`, { token: admin.token });
    expectProblem(await board('/api/queues', { cookie: pair }), 403, 'forbidden');
    expectProblem(await board('/', { cookie: pair }), 403, 'forbidden');
  });

  it('takes the board away when the session that opened it ends (logout)', async () => {
    await tokenFor(t, 'third-admin@example.com', 'admin');
    const login = await call<{ accessToken: string; refreshToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'third-admin@example.com', password: PASSWORD } });
    expect(login.status).toBe(200);
    const { pair } = await openSession(login.body.accessToken);
    expect((await board('/api/queues', { cookie: pair })).status).toBe(200);
    expect((await call(t.baseUrl, 'POST', '/v1/auth/logout', { body: { refreshToken: login.body.refreshToken } })).status).toBe(204);
    expectProblem(await board('/api/queues', { cookie: pair }), 401, 'session_revoked');
  });
});
