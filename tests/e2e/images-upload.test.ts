// Uploads over HTTP: every bad upload gets its own 4xx code and leaves no event and no blob;
// a good one is stored once, readable by its owner only, and deletable.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventCount } from '../../support/database.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { pngBomb } from '../support/bad-images.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let alice: string;
let bob: string;
const password = 'a perfectly fine password';

async function tokenFor(email: string): Promise<string> {
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } });
  await consentOverHttp(t.baseUrl, tok.body.accessToken);
  return tok.body.accessToken;
}

async function upload(form: FormData | string, token = alice, contentType?: string) {
  const res = await fetch(`${t.baseUrl}/v1/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body: form,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function form(...files: [field: string, name: string, data: Buffer | string, type?: string][]): FormData {
  const f = new FormData();
  for (const [field, name, data, type] of files) f.append(field, new Blob([data], { type: type ?? 'application/octet-stream' }), name);
  return f;
}

async function blobCount(): Promise<number> {
  const { rows } = await t.runtime.pool.query<{ n: string }>('select count(*)::text as n from blobs.blobs');
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  t = await startTestApp('images_upload', { MAX_UPLOAD_BYTES: String(200 * 1024) });
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
});
afterAll(async () => {
  await t.stop();
});

describe('bad uploads', () => {
  it('each gets its own 4xx code and leaves nothing behind', async () => {
    const sample = await readSample(1); // 144 KiB, under the 200 KiB test limit
    const big = await readSample(6); // 295 KiB, over it
    const truncated = sample.subarray(0, Math.floor(sample.length / 2));
    const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ['JSON instead of multipart', () => upload(JSON.stringify({ file: 'x' }), alice, 'application/json'), 415, 'not_multipart'],
      ['empty multipart body', () => upload(new FormData()), 400, 'file_missing'],
      ['only a text field', () => upload((() => { const f = new FormData(); f.append('note', 'hello'); return f; })()), 400, 'file_missing'],
      ['wrong field name', () => upload(form(['image', 'a.jpg', sample, 'image/jpeg'])), 400, 'wrong_field'],
      ['two files', () => upload(form(['file', 'a.jpg', sample, 'image/jpeg'], ['file', 'b.jpg', sample, 'image/jpeg'])), 400, 'too_many_files'],
      ['0-byte file', () => upload(form(['file', 'a.jpg', Buffer.alloc(0), 'image/jpeg'])), 400, 'empty_file'],
      ['text renamed .jpg', () => upload(form(['file', 'notes.jpg', 'just some text, not a photo\n', 'image/jpeg'])), 415, 'unsupported_format'],
      ['truncated JPEG', () => upload(form(['file', 'cut.jpg', truncated, 'image/jpeg'])), 422, 'corrupt_image'],
      ['PNG bomb (100000×100000 declared)', async () => upload(form(['file', 'bomb.png', await pngBomb(), 'image/png'])), 422, 'image_too_large'],
      ['over the size limit', () => upload(form(['file', 'big.jpg', big, 'image/jpeg'])), 413, 'file_too_large'],
    ];
    const before = await eventCount(t.runtime.pool);
    const blobsBefore = await blobCount();
    for (const [label, run, status, code] of cases) {
      const res = await run();
      expect(res.status, label).toBe(status);
      expect(res.body, label).toMatchObject({ status, code });
    }
    expect(await eventCount(t.runtime.pool)).toBe(before);
    expect(await blobCount()).toBe(blobsBefore);
  });

  it('needs authentication', async () => {
    const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', body: form(['file', 'a.jpg', await readSample(1), 'image/jpeg']) });
    expect(res.status).toBe(401);
  });
});

describe('a good upload', () => {
  it('is accepted, stored once, visible to its owner only, served with an ETag, and deletable', async () => {
    const bytes = await readSample(1);
    const first = await upload(form(['file', '../../etc/holiday.jpg', bytes, 'text/plain']));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'pending' });
    const second = await upload(form(['file', 'again.jpg', bytes]));
    expect(second.status).toBe(202);
    expect(await blobCount()).toBe(1); // same bytes, one blob

    const id = first.body.imageId as string;
    const read = await call(t.baseUrl, 'GET', `/v1/images/${id}?consistentWith=${second.body.position as string}`, { token: alice });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ imageId: id, filename: 'holiday.jpg', contentType: 'image/jpeg', width: 1920, height: 1280, bytes: bytes.length, faces: [] });
    expect(['pending', 'analyzed']).toContain(read.body.status);

    const list = await call<{ items: { imageId: string }[] }>(t.baseUrl, 'GET', '/v1/images?limit=10', { token: alice });
    expect(list.body.items.map((i) => i.imageId)).toEqual([second.body.imageId, id]);
    const page1 = await call<{ items: { imageId: string }[]; nextCursor: string }>(t.baseUrl, 'GET', '/v1/images?limit=1', { token: alice });
    const page2 = await call<{ items: { imageId: string }[]; nextCursor: string | null }>(t.baseUrl, 'GET', `/v1/images?limit=1&cursor=${page1.body.nextCursor}`, { token: alice });
    expect([...page1.body.items, ...page2.body.items].map((i) => i.imageId)).toEqual([second.body.imageId, id]);
    expect(page2.body.nextCursor).toBeNull();
    expect((await call(t.baseUrl, 'GET', '/v1/images?cursor=garbage', { token: alice })).body).toMatchObject({ code: 'invalid_cursor' });

    // Bob sees nothing of Alice's: 404, not 403.
    expect((await call(t.baseUrl, 'GET', `/v1/images/${id}`, { token: bob })).status).toBe(404);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${id}/content`, { token: bob })).status).toBe(404);
    expect((await call(t.baseUrl, 'POST', `/v1/images/${id}/reanalyze`, { token: bob })).status).toBe(404);
    expect((await call(t.baseUrl, 'DELETE', `/v1/images/${id}`, { token: bob })).status).toBe(404);
    expect((await call<{ items: unknown[] }>(t.baseUrl, 'GET', '/v1/images', { token: bob })).body.items).toEqual([]);

    const content = await fetch(`${t.baseUrl}/v1/images/${id}/content`, { headers: { authorization: `Bearer ${alice}` } });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/jpeg');
    const etag = content.headers.get('etag')!;
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
    const cached = await fetch(`${t.baseUrl}/v1/images/${id}/content`, { headers: { authorization: `Bearer ${alice}`, 'if-none-match': etag } });
    expect(cached.status).toBe(304);

    const deleted = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${id}`, { token: alice });
    expect(deleted.status).toBe(202);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${id}?consistentWith=${deleted.body.position}`, { token: alice })).status).toBe(404);
    expect((await call(t.baseUrl, 'DELETE', `/v1/images/${id}`, { token: alice })).status).toBe(404);
    const stats = await call<{ days: { uploads: number; deletions: number }[] }>(t.baseUrl, 'GET', `/v1/stats?consistentWith=${deleted.body.position}`, { token: alice });
    expect(stats.body.days.at(-1)).toMatchObject({ uploads: 2, deletions: 1 });
  });
});
