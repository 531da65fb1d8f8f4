// Network input preparation, ported from face-api's NetInput.toBatchTensor: crop a region, pad it
// to a square with zeros (at the end, or centred), resize with TF's legacy bilinear kernel
// (align_corners = false, half_pixel_centers = false) and write planar (NCHW) float32 0..255.
import type { Box, RgbImage } from './types.js';

/** Leading padding of face-api's padToSquare: centred puts round(diff/2) at the end, the rest first. */
export function squarePadding(width: number, height: number, centered: boolean): { side: number; offsetX: number; offsetY: number } {
  const side = Math.max(width, height);
  const diff = Math.abs(width - height);
  const lead = centered ? diff - Math.round(diff * 0.5) : 0;
  return { side, offsetX: width < height ? lead : 0, offsetY: height < width ? lead : 0 };
}

/** Source sample positions of TF's legacy bilinear resize along one axis. */
export function legacyResizeTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const ratio = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const f = ratio * i;
    const l = Math.max(0, Math.floor(f));
    lo[i] = l;
    hi[i] = Math.min(inSize - 1, Math.ceil(f));
    frac[i] = f - l;
  }
  return { lo, hi, frac };
}

/**
 * Writes `region` of `img` (integer pixel box inside the image), padded to a square and resized to
 * size×size, into `out` at `offset` as three planes (R, G, B).
 */
export function regionToTensor(img: RgbImage, region: Box, size: number, centered: boolean, out: Float32Array, offset = 0): void {
  const { x: rx, y: ry, width: rw, height: rh } = region;
  if (rx < 0 || ry < 0 || rw <= 0 || rh <= 0 || rx + rw > img.width || ry + rh > img.height || !Number.isInteger(rx + ry + rw + rh)) {
    throw new RangeError(`region ${JSON.stringify(region)} outside ${img.width}x${img.height}`);
  }
  const { side, offsetX, offsetY } = squarePadding(rw, rh, centered);
  const plane = size * size;
  const src = img.data;
  const W = img.width;
  // Padded-square coordinate → image row/column, or -1 in the zero padding.
  const mapAxis = (p: number, off: number, len: number, origin: number) => (p - off >= 0 && p - off < len ? origin + p - off : -1);
  if (side === size) {
    for (let y = 0; y < size; y++) {
      const sy = mapAxis(y, offsetY, rh, ry);
      for (let x = 0; x < size; x++) {
        const sx = mapAxis(x, offsetX, rw, rx);
        const o = offset + y * size + x;
        if (sy < 0 || sx < 0) {
          out[o] = out[o + plane] = out[o + 2 * plane] = 0;
        } else {
          const i = (sy * W + sx) * 3;
          out[o] = src[i]!;
          out[o + plane] = src[i + 1]!;
          out[o + 2 * plane] = src[i + 2]!;
        }
      }
    }
    return;
  }
  const taps = legacyResizeTaps(side, size);
  // Byte offsets of the sampled rows / columns, or -1 where the tap falls in the zero padding.
  const rowOff = (p: number) => {
    const r = mapAxis(p, offsetY, rh, ry);
    return r < 0 ? -1 : r * W * 3;
  };
  const colOff = (p: number) => {
    const c = mapAxis(p, offsetX, rw, rx);
    return c < 0 ? -1 : c * 3;
  };
  const rowLo = Int32Array.from(taps.lo, rowOff);
  const rowHi = Int32Array.from(taps.hi, rowOff);
  const colLo = Int32Array.from(taps.lo, colOff);
  const colHi = Int32Array.from(taps.hi, colOff);
  const frac = taps.frac;
  // Columns [xFrom, xTo) have both taps inside the region; rows likewise per y. Pixels whose four
  // taps are all inside take the unrolled path, the others (next to or in the zero padding) the
  // general one. Same arithmetic in both (double, `a + (b - a) * f`), stored as float32.
  let xFrom = 0;
  while (xFrom < size && (colLo[xFrom]! < 0 || colHi[xFrom]! < 0)) xFrom++;
  let xTo = xFrom;
  while (xTo < size && colLo[xTo]! >= 0 && colHi[xTo]! >= 0) xTo++;
  const plane2 = 2 * plane;
  for (let y = 0; y < size; y++) {
    const r0 = rowLo[y]!;
    const r1 = rowHi[y]!;
    const fy = frac[y]!;
    const rowStart = offset + y * size;
    if (r0 < 0 && r1 < 0) {
      for (let ch = 0; ch < 3; ch++) out.fill(0, rowStart + ch * plane, rowStart + ch * plane + size);
      continue;
    }
    const inside = r0 >= 0 && r1 >= 0;
    for (let x = 0; x < size; x++) {
      const o = rowStart + x;
      const fx = frac[x]!;
      if (inside && x >= xFrom && x < xTo) {
        const c0 = colLo[x]!;
        const c1 = colHi[x]!;
        const tl = r0 + c0;
        const tr = r0 + c1;
        const bl = r1 + c0;
        const br = r1 + c1;
        let a = src[tl]!;
        let b = src[tr]!;
        let c = src[bl]!;
        let d = src[br]!;
        let top = a + (b - a) * fx;
        let bottom = c + (d - c) * fx;
        out[o] = top + (bottom - top) * fy;
        a = src[tl + 1]!;
        b = src[tr + 1]!;
        c = src[bl + 1]!;
        d = src[br + 1]!;
        top = a + (b - a) * fx;
        bottom = c + (d - c) * fx;
        out[o + plane] = top + (bottom - top) * fy;
        a = src[tl + 2]!;
        b = src[tr + 2]!;
        c = src[bl + 2]!;
        d = src[br + 2]!;
        top = a + (b - a) * fx;
        bottom = c + (d - c) * fx;
        out[o + plane2] = top + (bottom - top) * fy;
        continue;
      }
      const c0 = colLo[x]!;
      const c1 = colHi[x]!;
      const tl = r0 >= 0 && c0 >= 0 ? r0 + c0 : -1;
      const tr = r0 >= 0 && c1 >= 0 ? r0 + c1 : -1;
      const bl = r1 >= 0 && c0 >= 0 ? r1 + c0 : -1;
      const br = r1 >= 0 && c1 >= 0 ? r1 + c1 : -1;
      for (let ch = 0; ch < 3; ch++) {
        const vtl = tl < 0 ? 0 : src[tl + ch]!;
        const vtr = tr < 0 ? 0 : src[tr + ch]!;
        const vbl = bl < 0 ? 0 : src[bl + ch]!;
        const vbr = br < 0 ? 0 : src[br + ch]!;
        const top = vtl + (vtr - vtl) * fx;
        const bottom = vbl + (vbr - vbl) * fx;
        out[o + ch * plane] = top + (bottom - top) * fy;
      }
    }
  }
}

/** The whole image as a size×size network input (padding at the end, as face-api's detectors do). */
export function imageToTensor(img: RgbImage, size: number): Float32Array {
  const out = new Float32Array(3 * size * size);
  regionToTensor(img, { x: 0, y: 0, width: img.width, height: img.height }, size, false, out);
  return out;
}
