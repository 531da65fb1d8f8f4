// Idempotency-Key on uploads: a retried upload (its client saw a connection reset) answers the first
// 202 again and writes nothing — sequentially and when the retries race; the same key with other
// bytes is 422 idempotency_key_reused, a malformed key 400 invalid_idempotency_key, both writing
// nothing; keys are per user; uploads without a key are unchanged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCount } from '../../support/database.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let alice: string;
let bob: string;

async function tokenFor(email: string): Promise<string> {
  const password = 'a perfectly fine password';
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  return token;
}

async function upload(bytes: Buffer, token: string, key?: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) }, body: form });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function counts() {
  const { rows } = await t.runtime.pool.query<{ blobs: string; uploads: string }>(
    `select (select count(*) from blobs.blobs)::text as blobs, (select count(*) from es.events where type = 'ImageUploaded')::text as uploads`,
  );
  return { events: await eventCount(t.runtime.pool), blobs: Number(rows[0]!.blobs), uploads: Number(rows[0]!.uploads) };
}

beforeAll(async () => {
  t = await startTestApp('upload_idempotency');
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
});
afterAll(async () => {
  await t.stop();
});

describe('Idempotency-Key', () => {
  it('a retry answers the first 202 again and writes nothing', async () => {
    const bytes = await readSample(1);
    const first = await upload(bytes, alice, 'retry-0001');
    expect(first.status).toBe(202);
    const before = await counts();
    const retry = await upload(bytes, alice, 'retry-0001');
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(`/v1/images/${first.body.imageId as string}`);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await counts()).toEqual(before);
  });

  it('racing retries of one upload record it once, and all get the same answer', async () => {
    const bytes = await readSample(2);
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 6 }, () => upload(bytes, alice, 'c2f1e9a0-race-key')));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    const after = await counts();
    expect(after.uploads).toBe(before.uploads + 1);
    expect(after.blobs).toBe(before.blobs + 1);
    const { rows } = await t.runtime.pool.query('select count(*)::int as n from es.events where stream = $1', [`image-${answers[0]!.body.imageId as string}`]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('the same key with other bytes is 422 idempotency_key_reused and writes nothing', async () => {
    await upload(await readSample(3), alice, 'reused-key');
    const before = await counts();
    const other = await upload(await readSample(4), alice, 'reused-key');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await counts()).toEqual(before);
  });

  it('a malformed key is 400 invalid_idempotency_key and writes nothing', async () => {
    const bytes = await readSample(5);
    const before = await counts();
    for (const key of ['has space', 'x'.repeat(129), 'ümlaut', 'semi;colon', '']) {
      const res = await upload(bytes, alice, key);
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.body, JSON.stringify(key)).toMatchObject({ code: 'invalid_idempotency_key' });
    }
    expect(await counts()).toEqual(before);
  });

  it('keys are per user, and uploads without a key are each recorded', async () => {
    const bytes = await readSample(6);
    const a = await upload(bytes, alice, 'shared-key-6');
    const b = await upload(bytes, bob, 'shared-key-6');
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.imageId).not.toBe(a.body.imageId);
    const before = await counts();
    const x = await upload(bytes, alice);
    const y = await upload(bytes, alice);
    expect(y.body.imageId).not.toBe(x.body.imageId);
    expect((await counts()).uploads).toBe(before.uploads + 2);
    // Bob cannot see Alice's image through his key either.
    expect((await call(t.baseUrl, 'GET', `/v1/images/${a.body.imageId as string}`, { token: bob })).status).toBe(404);
  });
});
