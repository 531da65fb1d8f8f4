// Safe image decoding with sharp: only JPEG, PNG and WebP; a pixel limit checked from the header
// before decoding; EXIF orientation applied; any colour space / bit depth / alpha normalised to
// 8-bit sRGB (sharp's colour management skipped for a known embedded sRGB profile); decoder
// failures and warnings (truncation) become typed errors.
import { createHash } from 'node:crypto';
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

/**
 * Embedded ICC profiles that are sRGB already, identified by the sha256 of the profile with the
 * header fields the ICC profile ID also excludes (flags, rendering intent, profile ID) zeroed.
 * sharp would otherwise run an lcms sRGB→sRGB transform over every pixel (≈ 24 ms of the ≈ 33 ms
 * for a 1920×1280 JPEG here). That transform is a near-identity: pixel-identical on face-api's
 * samples; over all 2^24 colours it moves 0.8 % of them (saturated ones) by 1 in one channel,
 * i.e. rounding noise of a conversion between two encodings of the same colour space.
 */
export const SRGB_PROFILE_HASHES: ReadonlySet<string> = new Set([
  // "sRGB IEC61966-2.1" (HP/Microsoft, 3144 bytes): the profile most cameras and editors embed.
  '2b3aa1645779a9e634744faf9b01e9102b0c9b88fd6deced7934df86b949af7e',
]);

/** sha256 of an ICC profile with flags (44–47), rendering intent (64–67) and profile ID (84–99) zeroed. */
export function iccProfileHash(icc: Uint8Array): string {
  const copy = Buffer.from(icc);
  if (copy.length >= 128) {
    copy.fill(0, 44, 48);
    copy.fill(0, 64, 68);
    copy.fill(0, 84, 100);
  }
  return createHash('sha256').update(copy).digest('hex');
}

/** True when the embedded profile is a known sRGB one on 8-bit RGB(A): colour management can be skipped. */
function isSrgbAlready(meta: sharp.Metadata): boolean {
  return meta.icc !== undefined && meta.depth === 'uchar' && meta.space === 'srgb' && SRGB_PROFILE_HASHES.has(iccProfileHash(meta.icc));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface ImageHeader {
  format: ImageFormat;
  meta: sharp.Metadata;
  /** As stored (before EXIF orientation). */
  width: number;
  height: number;
}

/** Reads the header only: the format (signature and content agree), the dimensions, the pixel limit. */
export async function readImageHeader(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageHeader> {
  const format = sniffFormat(bytes);
  if (!format) throw new InferenceInputError('unsupported_format', 'unsupported image format (accepted: JPEG, PNG, WebP)');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(asBuffer(bytes), { limitInputPixels: false }).metadata();
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
  return { format, meta, width, height };
}

/** The dimensions after EXIF orientation (5–8 swap width and height). */
export const orientedSize = (h: Pick<ImageHeader, 'meta' | 'width' | 'height'>) =>
  (h.meta.orientation ?? 1) >= 5 ? { width: h.height, height: h.width } : { width: h.width, height: h.height };

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Decodes `bytes` into 8-bit RGB with EXIF orientation applied. */
export async function decodeImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  const { format, meta } = await readImageHeader(bytes, maxPixels);
  const input = asBuffer(bytes);
  try {
    // An embedded sRGB profile is ignored (see SRGB_PROFILE_HASHES); any other is applied.
    let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', pages: 1, ignoreIcc: isSrgbAlready(meta) })
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
