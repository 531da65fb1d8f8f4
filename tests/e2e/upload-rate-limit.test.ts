// The per-user upload limit (UPLOAD_RATE_LIMIT_PER_MINUTE, 3 here) is counted in Redis, so it holds
// across API processes: two apps over one database and Redis prefix share one count. Over it: 429
// upload_rate_limited with Retry-After, nothing written; other users keep their own count.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCount } from '../../support/database.js';
import { startInProcessApp, type InProcessApp } from '../../support/in-process-app.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let second: InProcessApp;
let alice: string;
let bob: string;
let photo: Buffer;

async function tokenFor(email: string): Promise<string> {
  const password = 'a perfectly fine password';
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  return token;
}

async function upload(baseUrl: string, token: string) {
  const form = new FormData();
  form.append('file', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  t = await startTestApp('upload_rate_limit', { UPLOAD_RATE_LIMIT_PER_MINUTE: '3' });
  // A second API process of the same deployment: same database, same Redis prefix, same signing key.
  second = await startInProcessApp(t.runtime.config, testLogger);
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
  photo = await readSample(1);
});
afterAll(async () => {
  await second.stopServices();
  await second.runtime.close();
  await t.stop();
});

describe('upload rate limit', () => {
  it('counts a user across API processes and answers 429 with Retry-After past the limit', async () => {
    expect((await upload(t.baseUrl, alice)).status).toBe(202);
    expect((await upload(second.baseUrl, alice)).status).toBe(202);
    expect((await upload(t.baseUrl, alice)).status).toBe(202);
    const before = await eventCount(t.runtime.pool);
    const over = await upload(second.baseUrl, alice);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ status: 429, code: 'upload_rate_limited' });
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await upload(t.baseUrl, alice)).status).toBe(429);
    expect(await eventCount(t.runtime.pool)).toBe(before);
    // Bob has a count of his own.
    expect((await upload(second.baseUrl, bob)).status).toBe(202);
  });
});
