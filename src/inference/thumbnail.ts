// A small picture of an image for galleries: EXIF-rotated as for analysis (so a thumbnail has the
// shape of the width × height the API reports and the faces are drawn on), fitted inside a square
// of `size` pixels keeping the aspect ratio, never enlarged, encoded as WebP or JPEG (transparency
// flattened onto white for JPEG).

import sharp from 'sharp';

export const THUMBNAIL_FORMATS = ['webp', 'jpeg'] as const;
export type ThumbnailFormat = (typeof THUMBNAIL_FORMATS)[number];

export interface Thumbnail {
  data: Buffer;
  contentType: `image/${ThumbnailFormat}`;
  width: number;
  height: number;
}

const TIMEOUT_SECONDS = 20;

/** `bytes` (a stored, already checked upload) fitted inside size × size. */
export async function makeThumbnail(bytes: Uint8Array, size: number, format: ThumbnailFormat, maxPixels: number): Promise<Thumbnail> {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'none', pages: 1 })
    .timeout({ seconds: TIMEOUT_SECONDS })
    .rotate()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  pipeline = format === 'jpeg' ? pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 80, mozjpeg: false }) : pipeline.webp({ quality: 75, effort: 2 });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, contentType: `image/${format}`, width: info.width, height: info.height };
}
