// Safe image decoding with sharp: only JPEG, PNG and WebP; a pixel limit checked from the header
// before decoding; EXIF orientation applied; any colour space / bit depth / alpha normalised to
// 8-bit sRGB; decoder failures and warnings (truncation) become typed errors.
import sharp from 'sharp';
import { InferenceInputError } from './errors.js';
import type { RgbImage } from './types.js';

export const DEFAULT_MAX_PIXELS = 40_000_000;
const DECODE_TIMEOUT_SECONDS = 20;

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The format announced by the file signature, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const at = (i: number) => bytes[i];
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => at(i) === v)) return 'png';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Decodes `bytes` into 8-bit RGB with EXIF orientation applied. */
export async function decodeImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  const format = sniffFormat(bytes);
  if (!format) throw new InferenceInputError('unsupported_format', 'unsupported image format (accepted: JPEG, PNG, WebP)');
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new InferenceInputError('corrupt_image', `cannot read ${format} header: ${message(err)}`, { cause: err });
  }
  if (meta.format !== format) {
    throw new InferenceInputError('corrupt_image', `${format} signature but ${meta.format ?? 'unknown'} content`);
  }
  const { width, height } = meta;
  if (!width || !height) throw new InferenceInputError('corrupt_image', 'image has no dimensions');
  if (width * height > maxPixels) {
    throw new InferenceInputError('image_too_large', `image has ${width}x${height} pixels, limit is ${maxPixels}`);
  }
  try {
    let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', pages: 1 })
      .timeout({ seconds: DECODE_TIMEOUT_SECONDS });
    // EXIF orientation (only when present: auto-rotation of an upright image still costs a copy).
    if (meta.orientation !== undefined && meta.orientation > 1) pipeline = pipeline.rotate();
    // Transparent pixels are composited over black.
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: { r: 0, g: 0, b: 0 } });
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw new InferenceInputError('corrupt_image', `cannot decode ${format}: ${message(err)}`, { cause: err });
  }
}
