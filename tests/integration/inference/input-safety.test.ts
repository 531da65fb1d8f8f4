// Input safety: accepted formats, typed errors for everything else, pixel limit, odd colour
// spaces and depths, EXIF orientation, zero faces, concurrent calls.
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { InferenceInputError } from '../../../src/inference/errors.js';
import type { AnalysisResult } from '../../../src/inference/types.js';
import { SAMPLES } from '../../../support/sample-photos.js';

let analyzer: FaceAnalyzer;
let jpeg: Buffer;
let reference: AnalysisResult;
let small: Buffer;

beforeAll(async () => {
  analyzer = await FaceAnalyzer.create({ maxPixels: 40_000_000 });
  jpeg = await readFile(SAMPLES[0]!);
  reference = await analyzer.analyze(jpeg);
  small = await sharp(jpeg).resize({ width: 960 }).jpeg().toBuffer();
});
afterAll(async () => {
  await analyzer.close();
});

async function errorCode(bytes: Uint8Array, a: FaceAnalyzer = analyzer): Promise<string> {
  try {
    await a.analyze(bytes);
  } catch (err) {
    if (err instanceof InferenceInputError) return err.code;
    throw err;
  }
  return 'no error';
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A ~100-byte PNG whose header declares width×height RGB pixels (a decompression bomb shape). */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

describe('rejected inputs', () => {
  it('truncated JPEG → corrupt_image', async () => {
    expect(await errorCode(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).toBe('corrupt_image');
  });

  it('JPEG header only → corrupt_image', async () => {
    expect(await errorCode(jpeg.subarray(0, 600))).toBe('corrupt_image');
  });

  it('PNG signature followed by garbage → corrupt_image', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    expect(await errorCode(bytes)).toBe('corrupt_image');
  });

  it('GIF → unsupported_format', async () => {
    expect(await errorCode(await sharp(small).gif().toBuffer())).toBe('unsupported_format');
  });

  it('TIFF → unsupported_format', async () => {
    expect(await errorCode(await sharp(small).tiff().toBuffer())).toBe('unsupported_format');
  });

  it('random bytes and empty input → unsupported_format', async () => {
    expect(await errorCode(Buffer.from('this is not an image at all'))).toBe('unsupported_format');
    expect(await errorCode(new Uint8Array(0))).toBe('unsupported_format');
  });

  it('a tiny PNG declaring 100000×100000 pixels → image_too_large, without decoding', async () => {
    const bomb = pngDeclaring(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    expect(await errorCode(bomb)).toBe('image_too_large');
  });

  it('the pixel limit is configurable', async () => {
    const strict = await FaceAnalyzer.create({ maxPixels: 1_000_000 });
    try {
      expect(await errorCode(jpeg, strict)).toBe('image_too_large');
      expect(await errorCode(small, strict)).toBe('no error');
    } finally {
      await strict.close();
    }
  });

  it('invalid options → invalid_options', async () => {
    await expect(analyzer.analyze(small, { minScore: 1.5 })).rejects.toMatchObject({ code: 'invalid_options' });
    await expect(analyzer.analyze(small, { maxFaces: 0 })).rejects.toMatchObject({ code: 'invalid_options' });
  });
});

describe('accepted variants', () => {
  const facesOf = async (bytes: Buffer) => (await analyzer.analyze(bytes)).faces.length;

  it('16-bit PNG', async () => {
    const png16 = await sharp(small).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    expect(await facesOf(png16)).toBe(reference.faces.length);
  });

  it('CMYK JPEG', async () => {
    const cmyk = await sharp(small).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect(await facesOf(cmyk)).toBe(reference.faces.length);
  });

  it('grayscale JPEG', async () => {
    const gray = await sharp(small).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    expect(await facesOf(gray)).toBe(reference.faces.length);
  });

  it('PNG and WebP with alpha', async () => {
    const rgba = sharp(small).ensureAlpha(0.8);
    const png = await rgba.clone().png().toBuffer();
    const webp = await rgba.clone().webp({ quality: 90 }).toBuffer();
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    expect(await facesOf(png)).toBe(reference.faces.length);
    expect(await facesOf(webp)).toBe(reference.faces.length);
  });

  it('zero faces is a valid result', async () => {
    const blank = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } }).png().toBuffer();
    const result = await analyzer.analyze(blank);
    expect(result).toMatchObject({ width: 640, height: 480, faces: [] });
    expect(result.model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('EXIF orientation is applied: coordinates are those of the upright image', async () => {
    const upright = await sharp(small).rotate(90).jpeg({ quality: 95 }).toBuffer();
    // Same pixels stored sideways with orientation 6 ("rotate 90° clockwise to display").
    const tagged = await sharp(small).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const [a, b] = [await analyzer.analyze(upright), await analyzer.analyze(tagged)];
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    expect(b.faces.length).toBe(a.faces.length);
    b.faces.forEach((f, i) => {
      expect(Math.abs(f.box.x - a.faces[i]!.box.x)).toBeLessThan(3);
      expect(Math.abs(f.box.y - a.faces[i]!.box.y)).toBeLessThan(3);
    });
  });

  it('concurrent calls give the same results as sequential ones', async () => {
    const inputs = [small, jpeg, small, jpeg];
    const concurrent = await Promise.all(inputs.map((b, i) => analyzer.analyze(b, { detector: i % 2 === 0 ? 'tiny' : 'ssd' })));
    const sequential: AnalysisResult[] = [];
    for (const [i, b] of inputs.entries()) sequential.push(await analyzer.analyze(b, { detector: i % 2 === 0 ? 'tiny' : 'ssd' }));
    expect(concurrent).toEqual(sequential);
    expect(concurrent[1]).toEqual(reference);
  });

  it('model identity differs per detector and is stable', async () => {
    const tiny = await analyzer.analyze(small, { detector: 'tiny' });
    expect(tiny.model.name).toBe(reference.model.name);
    expect(tiny.model.sha256).not.toBe(reference.model.sha256);
    expect((await analyzer.analyze(small)).model).toEqual(reference.model);
  });
});
