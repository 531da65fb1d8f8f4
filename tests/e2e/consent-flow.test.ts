// The consent ledger over HTTP (issue 15 item 3): the published policy, giving and withdrawing
// consent, and the upload refused without face_analysis consent with no event and no blob.

import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentFor, withdrawConsent } from '../../src/commands/identity/consents.js';
import type { ConsentPurpose } from '../../src/domain/identity/consent.js';
import { userStream } from '../../src/domain/identity/user-events.js';
import type { Position } from '../../src/eventstore/types.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';

let t: TestApp;
const password = 'a perfectly fine password';

interface Policy {
  version: string;
  text: string;
  textSha256: string;
  purposes: string[];
  retention: { biometricDays: number };
}
interface Consent {
  purpose: string;
  given: boolean;
  policyVersion: string | null;
  textSha256: string | null;
  current: boolean;
  withdrawals: number;
  position: string | null;
}

beforeAll(async () => {
  t = await startTestApp('h15a_consent', { REDIS_KEY_PREFIX: `h15a:consent-${randomBytes(4).toString('hex')}:`, BIOMETRIC_RETENTION_DAYS: '730' });
});
afterAll(async () => {
  await t?.stop();
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const count = async (sql: string, params: unknown[] = []) => Number((await t.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const events = () => count('select count(*)::text as n from es.events');
const blobs = () => count('select count(*)::text as n from blobs.blobs');
const userEvents = async (userId: string) =>
  (await t.db.pool.query<{ type: string; data: Record<string, unknown> }>('select type, data from es.events where stream = $1 order by global_position', [userStream(userId)])).rows;

async function registered(email: string): Promise<{ userId: string; token: string }> {
  const reg = await call<{ userId: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  expect(reg.status).toBe(201);
  const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } });
  expect(tok.status).toBe(200);
  return { userId: reg.body.userId, token: tok.body.accessToken };
}

async function upload(token: string): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', new Blob([await readSample(1)], { type: 'image/jpeg' }), 'me.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

const policy = async () => (await call<Policy>(t.baseUrl, 'GET', '/v1/privacy/policy')).body;

describe('the published policy', () => {
  it('is public JSON whose textSha256 is the sha256 of the text served, with the retention schedule', async () => {
    const res = await call<Policy>(t.baseUrl, 'GET', '/v1/privacy/policy');
    expect(res.status).toBe(200);
    expect(res.body.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(res.body.textSha256).toBe(sha256(res.body.text));
    expect(res.body.purposes).toEqual(['face_analysis', 'face_recognition']);
    expect(res.body.retention).toEqual({ biometricDays: 730 });
    expect(res.body.text).toContain('kept for 730 days from your last interaction');
    expect(res.body.text).not.toContain('{{');
  });

  it('serves the raw text with ?format=text or Accept: text/markdown, byte for byte what the hash covers', async () => {
    const json = await policy();
    const variants: { path: string; headers: Record<string, string> }[] = [
      { path: '/v1/privacy/policy?format=text', headers: {} },
      { path: '/v1/privacy/policy', headers: { accept: 'text/markdown' } },
    ];
    for (const init of variants) {
      const res = await fetch(`${t.baseUrl}${init.path}`, { headers: init.headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/markdown; charset=utf-8/);
      const text = await res.text();
      expect(text).toBe(json.text);
      expect(sha256(text)).toBe(json.textSha256);
    }
    const bad = await call(t.baseUrl, 'GET', '/v1/privacy/policy?format=pdf');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('consent', () => {
  it('an upload without face_analysis consent is refused: 409 consent_required, no event, no blob', async () => {
    const u = await registered('noconsent@example.com');
    const [eventsBefore, blobsBefore] = [await events(), await blobs()];
    const res = await upload(u.token);
    expect(res.status).toBe(409);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('consent_required');
    expect(await events()).toBe(eventsBefore);
    expect(await blobs()).toBe(blobsBefore);
    expect(await count(`select count(*)::text as n from es.events where type = 'ImageUploaded'`)).toBe(0);
  });

  it('refuses bad input with a problem and writes nothing', async () => {
    const u = await registered('badinput@example.com');
    const { version } = await policy();
    const before = await events();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/me/consents', { purpose: 'face_analysis', policyVersion: '1999-01-01' }, 409, 'policy_version_mismatch'],
      ['POST', '/v1/me/consents', { purpose: 'marketing', policyVersion: version }, 400, 'invalid_purpose'],
      ['POST', '/v1/me/consents', { purpose: 'face_analysis' }, 400, 'validation_failed'],
      ['POST', '/v1/me/consents', { purpose: 'face_analysis', policyVersion: version, extra: 1 }, 400, 'validation_failed'],
      ['DELETE', '/v1/me/consents/marketing', undefined, 400, 'invalid_purpose'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call<{ code: string; detail?: string }>(t.baseUrl, method, path, { token: u.token, ...(body === undefined ? {} : { body }) });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, status, code]);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (code === 'policy_version_mismatch') expect(res.body.detail).toContain(version);
    }
    const anonymous = await call<{ code: string }>(t.baseUrl, 'POST', '/v1/me/consents', { body: { purpose: 'face_analysis', policyVersion: version } });
    expect(anonymous.status).toBe(401);
    expect(await events()).toBe(before);
  });

  it('give, list, upload, withdraw, refused again: every step read from the user stream at once', async () => {
    const u = await registered('flow@example.com');
    const p = await policy();

    const given = await call<Consent>(t.baseUrl, 'POST', '/v1/me/consents', { token: u.token, body: { purpose: 'face_analysis', policyVersion: p.version } });
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({ purpose: 'face_analysis', given: true, policyVersion: p.version, textSha256: p.textSha256, current: true, withdrawals: 0 });
    expect(given.body.position).toEqual(expect.any(String));
    expect((await userEvents(u.userId)).map((e) => [e.type, e.data])).toContainEqual(['ConsentGiven', { purpose: 'face_analysis', policyVersion: p.version, textSha256: p.textSha256 }]);

    // The same consent again: 200, nothing recorded.
    const before = await events();
    const again = await call<Consent>(t.baseUrl, 'POST', '/v1/me/consents', { token: u.token, body: { purpose: 'face_analysis', policyVersion: p.version } });
    expect([again.status, again.body.position]).toEqual([200, null]);
    expect(await events()).toBe(before);

    const list = await call<{ policyVersion: string; consents: Consent[] }>(t.baseUrl, 'GET', '/v1/me/consents', { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.policyVersion).toBe(p.version);
    expect(list.body.consents).toEqual([
      { purpose: 'face_analysis', given: true, policyVersion: p.version, textSha256: p.textSha256, current: true, withdrawals: 0 },
      { purpose: 'face_recognition', given: false, policyVersion: null, textSha256: null, current: false, withdrawals: 0 },
    ]);

    // Given a moment ago: the upload counts it (read from the stream, not the read model).
    const accepted = await upload(u.token);
    expect(accepted.status).toBe(202);

    const withdrawn = await call<Consent>(t.baseUrl, 'DELETE', '/v1/me/consents/face_analysis', { token: u.token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ purpose: 'face_analysis', given: false, current: false, withdrawals: 1 });
    expect(withdrawn.body.position).toEqual(expect.any(String));
    expect((await userEvents(u.userId)).map((e) => e.type).filter((type) => type.startsWith('Consent'))).toEqual(['ConsentGiven', 'ConsentWithdrawn']);

    const [eventsBefore, blobsBefore] = [await events(), await blobs()];
    const refused = await upload(u.token);
    expect([refused.status, refused.body.code]).toEqual([409, 'consent_required']);
    expect([await events(), await blobs()]).toEqual([eventsBefore, blobsBefore]);

    // Withdrawing again (or a consent never given) records nothing.
    const twice = await call<Consent>(t.baseUrl, 'DELETE', '/v1/me/consents/face_analysis', { token: u.token });
    expect([twice.status, twice.body.position, twice.body.withdrawals]).toEqual([200, null, 1]);
    const never = await call<Consent>(t.baseUrl, 'DELETE', '/v1/me/consents/face_recognition', { token: u.token });
    expect([never.status, never.body.position, never.body.withdrawals]).toEqual([200, null, 0]);
    expect(await events()).toBe(eventsBefore);
  });

  it('consentFor reads the stream: given, policy version and the withdrawals seen; the hook runs after a withdrawal', async () => {
    const u = await registered('hook@example.com');
    const store = t.runtime.eventStore;
    const p = await policy();
    expect(await consentFor(store, u.userId, 'face_analysis')).toEqual({ given: false, withdrawals: 0 });
    await call(t.baseUrl, 'POST', '/v1/me/consents', { token: u.token, body: { purpose: 'face_analysis', policyVersion: p.version } });
    expect(await consentFor(store, u.userId, 'face_analysis')).toEqual({ given: true, policyVersion: p.version, withdrawals: 0 });

    const calls: [string, ConsentPurpose, Position | undefined, number][] = [];
    const hook = (userId: string, purpose: ConsentPurpose, position: Position | undefined, info: { withdrawals: number }) => {
      calls.push([userId, purpose, position, info.withdrawals]);
      return Promise.resolve();
    };
    const ctx = { correlationId: 'h15a-hook', actor: { id: u.userId, kind: 'user' as const, role: 'user' as const } };
    const first = await withdrawConsent(store, u.userId, 'face_analysis', ctx, hook);
    expect(first.position).toBeDefined();
    expect(calls).toEqual([[u.userId, 'face_analysis', first.position, 1]]);
    expect(await consentFor(store, u.userId, 'face_analysis')).toEqual({ given: false, policyVersion: p.version, withdrawals: 1 });
    // A retry records nothing and runs the (idempotent) hook again, so a failed erasure is retried.
    await withdrawConsent(store, u.userId, 'face_analysis', ctx, hook);
    expect(calls).toEqual([
      [u.userId, 'face_analysis', first.position, 1],
      [u.userId, 'face_analysis', undefined, 1],
    ]);
    // Never given: no hook.
    await withdrawConsent(store, u.userId, 'face_recognition', ctx, hook);
    expect(calls).toHaveLength(2);
  });
});
