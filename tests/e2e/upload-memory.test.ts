// The API checks an upload without holding its raster: 8 concurrent uploads of an 8000×5000 PNG
// (40 megapixels, 130 kB each, all different) raise the process's peak resident memory by far less than one full
// RGB raster per decode in flight would (120 MB each, four at once on libuv's threads: ≈ 500 MB
// and more; the old full decode measured +1.9 GB for 16). The app runs in this process, so its
// peak RSS (getrusage maxrss) is the API's. Corrupt and oversized images are still refused at
// once; a good one keeps its dimensions.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let token: string;
let big: Buffer;
let distinct: Buffer[];

async function upload(bytes: Buffer, name = 'big.png') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

beforeAll(async () => {
  t = await startTestApp('upload_memory');
  const email = 'big@example.com';
  const password = 'a perfectly fine password';
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: 'Big' } });
  token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  const png = (r: number) => sharp({ create: { width: 8000, height: 5000, channels: 3, background: { r, g: 143, b: 159 } } }).png().toBuffer();
  big = await png(127);
  // Different bytes each: bytes already stored are not decoded again, these must be.
  distinct = await Promise.all(Array.from({ length: 8 }, (_, i) => png(10 + i)));
});
afterAll(async () => {
  await t.stop();
});

describe('upload checks hold no raster', () => {
  it('8 concurrent 40-megapixel uploads raise peak RSS by less than 300 MB', async () => {
    const warm = await upload(big, 'warm.png');
    expect(warm.status).toBe(202);
    const before = peakRssMb();
    const answers = await Promise.all(distinct.map((bytes, i) => upload(bytes, `big-${i}.png`)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const grew = peakRssMb() - before;
    expect(grew, `peak RSS grew by ${grew.toFixed(0)} MB`).toBeLessThan(300);
    const read = await call(t.baseUrl, 'GET', `/v1/images/${answers[0]!.body.imageId as string}?consistentWith=${answers[0]!.body.position as string}`, { token });
    expect(read.body).toMatchObject({ width: 8000, height: 5000, contentType: 'image/png' });
  });

  it('a truncated 40-megapixel PNG is still refused at once', async () => {
    const res = await upload(big.subarray(0, big.length - 2000), 'cut.png');
    expect(res).toMatchObject({ status: 422, body: { code: 'corrupt_image' } });
  });
});
