// GET /v1/images/:imageId/thumbnail over HTTP on real PostgreSQL and Redis (issue 18, the
// gallery's pictures): fitted inside the size asked for (aspect kept, EXIF-rotated, never
// enlarged), WebP or JPEG; ETag + If-None-Match → 304; the second read is served from the
// in-process cache, and yet a deleted image is a 404 at once (the existence check comes first);
// another user's image is a 404, an admin's read of it is in the access log; bad sizes and
// formats are 400 validation_failed problems.

import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessDayPrefix, accessRecordsOf, utcDayOf, type BiometricDataAccessedData } from '../../src/domain/access/access-events.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { visibleHead } from '../support/visible-head.js';
import { uploadOverHttp } from '../support/upload-over-http.js';

let t: TestApp;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let admin: { userId: string; token: string };
/** sample1.jpg and its size as the API reports it. */
let photo: { imageId: string; position: string; width: number; height: number };
/** A tall, half-transparent PNG of 90 × 300. */
let tall: { imageId: string; position: string };

const upload = (token: string, bytes: Buffer, type: string, name: string) => uploadOverHttp(t.baseUrl, token, bytes, name, type);

async function thumb(imageId: string, query: string, token = alice.token, headers: Record<string, string> = {}): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${t.baseUrl}/v1/images/${imageId}/thumbnail${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Today's access records of one request. */
async function accessRecordsOfRequest(requestId: string): Promise<Record<string, unknown>[]> {
  const head = await visibleHead(t.runtime.eventStore);
  const out: Record<string, unknown>[] = [];
  for await (const e of t.runtime.eventStore.readAll({ to: head, filter: { streamPrefixes: [accessDayPrefix(utcDayOf(new Date()))] } })) {
    for (const { facts, parties } of accessRecordsOf(e.data as BiometricDataAccessedData)) {
      const r: Record<string, unknown> = { ...facts, ...parties };
      if (r['requestId'] === requestId) out.push(r);
    }
  }
  return out;
}

beforeAll(async () => {
  t = await startTestApp('images_thumbnail');
  alice = await registerConsenting(t.baseUrl, { email: 'alice.thumb@example.com', password: 'a perfectly fine password' });
  bob = await registerConsenting(t.baseUrl, { email: 'bob.thumb@example.com', password: 'a perfectly fine password' });
  admin = await tokenFor(t, 'admin.thumb@example.com', 'admin');
  const sample = await readSample(1);
  const meta = await sharp(sample).metadata();
  photo = { ...(await upload(alice.token, sample, 'image/jpeg', 'sample1.jpg')), width: meta.width, height: meta.height };
  const png = await sharp({ create: { width: 90, height: 300, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 0.5 } } }).png().toBuffer();
  tall = await upload(alice.token, png, 'image/png', 'tall.png');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('GET /v1/images/:imageId/thumbnail', () => {
  it('fits the image inside the size asked for, keeping its aspect, as WebP by default or JPEG', async () => {
    for (const [query, size, type] of [
      ['', 256, 'image/webp'],
      ['?size=64', 64, 'image/webp'],
      ['?size=512&format=jpeg', 512, 'image/jpeg'],
    ] as const) {
      const sep = query ? '&' : '?';
      const { res, bytes } = await thumb(photo.imageId, `${query}${sep}consistentWith=${photo.position}`);
      expect(res.status, query).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe(type === 'image/webp' ? 'webp' : 'jpeg');
      expect(Math.max(meta.width, meta.height)).toBe(Math.min(size, Math.max(photo.width, photo.height)));
      expect(Math.abs(meta.width / meta.height - photo.width / photo.height)).toBeLessThan(0.02);
    }
    // A tall picture: its height is the size; JPEG has no transparency (flattened onto white).
    const { res, bytes } = await thumb(tall.imageId, `?size=128&format=jpeg&consistentWith=${tall.position}`);
    expect(res.status).toBe(200);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).toEqual([38, 128, false]);
    // Never enlarged: 300 px high stays 300 px at size 512.
    const big = await sharp((await thumb(tall.imageId, '?size=512')).bytes).metadata();
    expect([big.width, big.height, big.hasAlpha]).toEqual([90, 300, true]);
  });

  it('answers 304 to a matching If-None-Match and serves a repeat from the cache', async () => {
    const first = await thumb(photo.imageId, '?size=96');
    expect(first.res.status).toBe(200);
    const etag = first.res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}\.96\.webp\.r1"$/);
    expect(first.res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(first.res.headers.get('server-timing')).toMatch(/^thumbnail;desc="resized";dur=\d+(\.\d)?$/);

    const again = await thumb(photo.imageId, '?size=96');
    expect(again.res.headers.get('server-timing')).toBe('thumbnail;desc="cache hit"');
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(again.res.headers.get('etag')).toBe(etag);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const revalidated = await thumb(photo.imageId, '?size=96', alice.token, { 'if-none-match': inm });
      expect(revalidated.res.status, inm).toBe(304);
      expect(revalidated.bytes.length).toBe(0);
      expect(revalidated.res.headers.get('etag')).toBe(etag);
    }
    // Another size or format is another representation.
    expect((await thumb(photo.imageId, '?size=97', alice.token, { 'if-none-match': etag })).res.status).toBe(200);
    expect((await thumb(photo.imageId, '?size=96&format=jpeg', alice.token, { 'if-none-match': etag })).res.status).toBe(200);
  });

  it('refuses bad sizes and formats with 400 validation_failed, and unknown or foreign images with 404', async () => {
    for (const query of ['?size=63', '?size=513', '?size=abc', '?size=100.5', '?size=', '?format=gif', '?format=png']) {
      const { res, bytes } = await thumb(photo.imageId, query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(bytes.toString())).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    const malformed = await call(t.baseUrl, 'GET', '/v1/images/not-a-uuid/thumbnail', { token: alice.token });
    expect([malformed.status, malformed.body['code']]).toEqual([400, 'validation_failed']);
    const unknown = await call(t.baseUrl, 'GET', `/v1/images/${randomUUID()}/thumbnail`, { token: alice.token });
    expect([unknown.status, unknown.body['code']]).toEqual([404, 'image_not_found']);
    // Bob may not see Alice's image: the same 404, also with her ETag (nothing about it leaks).
    const etag = (await thumb(photo.imageId, '')).res.headers.get('etag')!;
    for (const headers of [{}, { 'if-none-match': etag }] as Record<string, string>[]) {
      const foreign = await thumb(photo.imageId, '', bob.token, headers);
      expect(foreign.res.status).toBe(404);
      expect(JSON.parse(foreign.bytes.toString())).toMatchObject({ code: 'image_not_found' });
    }
    const anonymous = await fetch(`${t.baseUrl}/v1/images/${photo.imageId}/thumbnail`);
    expect(anonymous.status).toBe(401);
  });

  it("records an admin's read of someone else's thumbnail in the access log, and not the owner's", async () => {
    const byAdmin = `thumb-admin-${randomUUID()}`;
    expect((await thumb(photo.imageId, '?size=128', admin.token, { 'x-request-id': byAdmin })).res.status).toBe(200);
    const records = await accessRecordsOfRequest(byAdmin);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ accessor: { id: admin.userId, role: 'admin' }, subjects: [{ subjectId: alice.userId, imageIds: [photo.imageId] }], fields: ['content'], route: 'GET /v1/images/:imageId/thumbnail' });
    const byOwner = `thumb-owner-${randomUUID()}`;
    expect((await thumb(photo.imageId, '?size=128', alice.token, { 'x-request-id': byOwner })).res.status).toBe(200);
    expect(await accessRecordsOfRequest(byOwner)).toEqual([]);
  });

  it('is a 404 once the image is deleted, though its thumbnail is still in the cache', { timeout: 30_000 }, async () => {
    const cached = await thumb(tall.imageId, '?size=200');
    expect((await thumb(tall.imageId, '?size=200')).res.headers.get('server-timing')).toBe('thumbnail;desc="cache hit"');
    const etag = cached.res.headers.get('etag')!;
    const deleted = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${tall.imageId}`, { token: alice.token });
    expect(deleted.status).toBe(202);
    for (const headers of [{}, { 'if-none-match': etag }] as Record<string, string>[]) {
      const gone = await thumb(tall.imageId, `?size=200&consistentWith=${deleted.body.position}`, alice.token, headers);
      expect(gone.res.status).toBe(404);
      expect(JSON.parse(gone.bytes.toString())).toMatchObject({ code: 'image_not_found' });
    }
  });
});
