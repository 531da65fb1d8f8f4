// The upload check (checkImage: a streamed decode into a thumbnail) refuses exactly what the full
// decode refuses, on truncations, a scrambled middle, progressive JPEG, PNG and WebP, and reports
// the dimensions the analysis sees (EXIF orientation applied) — the measurement behind choosing
// it over a 1×1 nearest-neighbour target, which samples only some rows and missed truncations.

import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../../src/inference/check-image.js';
import { decodeImage } from '../../../src/inference/decode-image.js';
import { InferenceInputError } from '../../../src/inference/errors.js';
import { SAMPLES } from '../../../support/sample-photos.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof InferenceInputError ? err.code : `unexpected: ${String(err)}`),
  );

function scrambleMiddle(b: Buffer): Buffer {
  const c = Buffer.from(b);
  const m = Math.floor(c.length / 2);
  for (let i = 0; i < 64; i++) c[m + i] = (i * 37) & 0xff;
  return c;
}

let cases: [string, Buffer][] = [];

beforeAll(async () => {
  const jpeg = await readFile(SAMPLES[0]!);
  const progressive = await sharp(jpeg).jpeg({ progressive: true }).toBuffer();
  const png = await sharp(jpeg).png().toBuffer();
  const webp = await sharp(jpeg).webp().toBuffer();
  const zeroTail = Buffer.from(jpeg).fill(0, Math.floor(jpeg.length * 0.6));
  cases = [
    ['jpeg', jpeg],
    ['jpeg cut in half', jpeg.subarray(0, jpeg.length >> 1)],
    ['jpeg without its last 200 bytes', jpeg.subarray(0, jpeg.length - 200)],
    ['jpeg with a zeroed tail', zeroTail],
    ['jpeg with a scrambled middle', scrambleMiddle(jpeg)],
    ['progressive jpeg', progressive],
    ['progressive jpeg cut in half', progressive.subarray(0, progressive.length >> 1)],
    ['png', png],
    ['png cut in half', png.subarray(0, png.length >> 1)],
    ['png without its last 2000 bytes', png.subarray(0, png.length - 2000)],
    ['png with a scrambled middle', scrambleMiddle(png)],
    ['webp', webp],
    ['webp cut in half', webp.subarray(0, webp.length >> 1)],
    ['jpeg header only', jpeg.subarray(0, 600)],
  ];
});

describe('checkImage', () => {
  it('refuses what decodeImage refuses, with the same code', async () => {
    for (const [label, bytes] of cases) {
      expect(await outcome(checkImage(bytes)), label).toBe(await outcome(decodeImage(bytes)));
    }
    // The set is not trivial: good images pass, most bad ones are refused.
    const results = await Promise.all(cases.map(([, b]) => outcome(checkImage(b))));
    expect(results.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(4);
    expect(results.filter((r) => r === 'corrupt_image').length).toBeGreaterThanOrEqual(8);
  });

  it('reports the size after EXIF orientation, and the pixel limit from the header', async () => {
    const rotated = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#336699' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(rotated);
    expect(await checkImage(rotated)).toEqual({ format: 'jpeg', width: decoded.width, height: decoded.height });
    expect([decoded.width, decoded.height]).toEqual([40, 60]);
    expect(await outcome(checkImage(rotated, 1000))).toBe('image_too_large');
  });
});
