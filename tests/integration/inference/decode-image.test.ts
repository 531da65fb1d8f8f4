// The decoder skips sharp's colour management for embedded sRGB profiles: the pixels must stay
// those of the fully colour-managed decode on face-api's samples, and other profiles must still
// be applied.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, iccProfileHash, SRGB_PROFILE_HASHES } from '../../../src/inference/decode-image.js';
import { SAMPLES } from '../../../support/sample-photos.js';

/** sharp's default, colour-managed decode (the decoder's behaviour before the sRGB fast path). */
async function colourManaged(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
}

describe('decodeImage sRGB fast path', () => {
  it('recognises the samples’ embedded profile and decodes them pixel-identically', async () => {
    let withProfile = 0;
    for (const file of SAMPLES) {
      const bytes = await readFile(file);
      const meta = await sharp(bytes).metadata();
      if (meta.icc) {
        withProfile++;
        expect(SRGB_PROFILE_HASHES.has(iccProfileHash(meta.icc))).toBe(true);
      }
      const img = await decodeImage(bytes);
      expect(Buffer.from(img.data).equals(await colourManaged(bytes))).toBe(true);
    }
    expect(withProfile).toBeGreaterThan(0);
  });

  it('still applies a profile that is not sRGB', async () => {
    // The same pixels tagged with Display P3: colour management must change them.
    const rgb = Buffer.alloc(16 * 16 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 256;
    const p3 = await sharp(rgb, { raw: { width: 16, height: 16, channels: 3 } }).withIccProfile('p3').png().toBuffer();
    const meta = await sharp(p3).metadata();
    expect(meta.icc && SRGB_PROFILE_HASHES.has(iccProfileHash(meta.icc))).toBe(false);
    const img = await decodeImage(p3);
    expect(Buffer.from(img.data).equals(await colourManaged(p3))).toBe(true);
    const ignored = await sharp(p3, { ignoreIcc: true }).toColourspace('srgb').raw().toBuffer();
    expect(Buffer.from(img.data).equals(ignored)).toBe(false);
  });
});
