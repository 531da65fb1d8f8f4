import { describe, expect, it } from 'vitest';
import { legacyResizeTaps, regionToTensor, squarePadding } from '../../../src/inference/preprocess.js';
import type { RgbImage } from '../../../src/inference/types.js';

/** An image whose R channel is 10*row + col, G = R + 1, B = R + 2. */
function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([10 * y + x, 10 * y + x + 1, 10 * y + x + 2], (y * width + x) * 3);
  return { data, width, height };
}

describe('squarePadding (face-api padToSquare)', () => {
  it('pads at the end when not centred', () => {
    expect(squarePadding(4, 2, false)).toEqual({ side: 4, offsetX: 0, offsetY: 0 });
  });
  it('centred: round(diff/2) goes at the end, the rest first', () => {
    expect(squarePadding(5, 2, true)).toEqual({ side: 5, offsetX: 0, offsetY: 1 }); // diff 3: 2 after, 1 before
    expect(squarePadding(2, 6, true)).toEqual({ side: 6, offsetX: 2, offsetY: 0 });
  });
});

describe('legacyResizeTaps (TF bilinear, no align corners, no half-pixel centres)', () => {
  it('downscale by 2 samples even pixels exactly', () => {
    const { lo, hi, frac } = legacyResizeTaps(8, 4);
    expect(Array.from(lo)).toEqual([0, 2, 4, 6]);
    expect(Array.from(hi)).toEqual([0, 2, 4, 6]);
    expect(Array.from(frac)).toEqual([0, 0, 0, 0]);
  });
  it('upscale clamps the upper tap at the last pixel', () => {
    const { lo, hi, frac } = legacyResizeTaps(2, 4);
    expect(Array.from(lo)).toEqual([0, 0, 1, 1]);
    expect(Array.from(hi)).toEqual([0, 1, 1, 1]);
    expect(Array.from(frac)).toEqual([0, 0.5, 0, 0.5]);
  });
});

describe('regionToTensor', () => {
  it('copies planes unchanged when the region is already the right square size', () => {
    const img = ramp(3, 3);
    const out = new Float32Array(27);
    regionToTensor(img, { x: 0, y: 0, width: 3, height: 3 }, 3, false, out);
    expect(Array.from(out.subarray(0, 9))).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22]);
    expect(Array.from(out.subarray(9, 18))).toEqual([1, 2, 3, 11, 12, 13, 21, 22, 23]);
  });

  it('crops, pads at the end with zeros and resizes (2x upscale of a 2x1 crop)', () => {
    const img = ramp(4, 4);
    const out = new Float32Array(3 * 16);
    // Crop x=1..2, y=2: R values 21, 22. Padded square (end): [[21, 22], [0, 0]].
    regionToTensor(img, { x: 1, y: 2, width: 2, height: 1 }, 4, false, out);
    expect(Array.from(out.subarray(0, 16))).toEqual([
      21, 21.5, 22, 22,
      10.5, 10.75, 11, 11,
      0, 0, 0, 0,
      0, 0, 0, 0,
    ]);
  });

  it('centres the padding for face crops', () => {
    const img = ramp(4, 4);
    const out = new Float32Array(3 * 9);
    // 3 wide, 1 high at y=0: diff 2 → one zero row before and one after.
    regionToTensor(img, { x: 0, y: 0, width: 3, height: 1 }, 3, true, out);
    expect(Array.from(out.subarray(0, 9))).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 0]);
  });

  it('writes at an offset and rejects regions outside the image', () => {
    const img = ramp(2, 2);
    const out = new Float32Array(12 + 12).fill(-1);
    regionToTensor(img, { x: 0, y: 0, width: 2, height: 2 }, 2, false, out, 12);
    expect(out[11]).toBe(-1);
    expect(out[12]).toBe(0);
    expect(() => regionToTensor(img, { x: 1, y: 0, width: 2, height: 2 }, 2, false, out)).toThrow(RangeError);
  });
});

/** The straightforward per-pixel form of the legacy bilinear resize (4 taps, zeros in the padding). */
function naiveRegionToTensor(img: RgbImage, region: { x: number; y: number; width: number; height: number }, size: number, centered: boolean): Float32Array {
  const { side, offsetX, offsetY } = squarePadding(region.width, region.height, centered);
  const { lo, hi, frac } = legacyResizeTaps(side, size);
  const out = new Float32Array(3 * size * size);
  const at = (px: number, py: number, ch: number) => {
    const x = px - offsetX;
    const y = py - offsetY;
    if (x < 0 || y < 0 || x >= region.width || y >= region.height) return 0;
    return img.data[((region.y + y) * img.width + region.x + x) * 3 + ch]!;
  };
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let ch = 0; ch < 3; ch++) {
        const top = at(lo[x]!, lo[y]!, ch) + (at(hi[x]!, lo[y]!, ch) - at(lo[x]!, lo[y]!, ch)) * frac[x]!;
        const bottom = at(lo[x]!, hi[y]!, ch) + (at(hi[x]!, hi[y]!, ch) - at(lo[x]!, hi[y]!, ch)) * frac[x]!;
        out[ch * size * size + y * size + x] = top + (bottom - top) * frac[y]!;
      }
  return out;
}

describe('regionToTensor fast paths', () => {
  it('are bit-identical to the per-pixel form on random images, regions and sizes', () => {
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let it = 0; it < 300; it++) {
      const width = 1 + Math.floor(rnd() * 80);
      const height = 1 + Math.floor(rnd() * 80);
      const img: RgbImage = { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rnd() * 256)), width, height };
      const x = Math.floor(rnd() * width);
      const y = Math.floor(rnd() * height);
      const region = { x, y, width: 1 + Math.floor(rnd() * (width - x)), height: 1 + Math.floor(rnd() * (height - y)) };
      const size = [1, 3, 16, 37, 112][Math.floor(rnd() * 5)]!;
      const centered = rnd() < 0.5;
      const out = new Float32Array(3 * size * size);
      regionToTensor(img, region, size, centered, out);
      const expected = naiveRegionToTensor(img, region, size, centered);
      expect(out.findIndex((v, i) => !Object.is(v, expected[i]))).toBe(-1);
    }
  });
});
