// Reads and checks one multipart upload: exactly one part, a file in the field `file`, within the
// size limit, and really a JPEG/PNG/WebP (by content: every pixel decoded, streamed into a
// thumbnail, never held as a full raster) within the pixel limit. The decode runs inside the API's
// pixel budget: an upload waits for its share (bounded), then 503 `uploads_busy`. Bytes already
// stored passed the decode before and are not decoded again.

import path from 'node:path';
import type {} from '@fastify/multipart'; // request.parts() / isMultipart() types
import type { FastifyRequest } from 'fastify';
import { withoutBidiControls } from '../../../domain/text/display-text.js';
import { checkImage } from '../../../inference/check-image.js';
import { orientedSize, readImageHeader, sniffFormat } from '../../../inference/decode-image.js';
import { InferenceInputError } from '../../../inference/errors.js';
import { HttpProblem } from '../../problem.js';
import { PixelBudgetTimeout, type PixelBudget } from './pixel-budget.js';

export interface UploadBody {
  filename: string;
  data: Buffer;
}

export interface CheckedUpload extends UploadBody {
  contentType: string;
  width: number;
  height: number;
}

export interface UploadLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface UploadChecks extends UploadLimits {
  budget: PixelBudget;
  /** Longest wait for the budget before 503. */
  waitMs: number;
}

const CONTENT_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\u0000-\u001f\u007f/\\]/g;

function cleanFilename(raw: string | undefined): string {
  const base = withoutBidiControls(path.posix.basename((raw ?? '').replace(/\\/g, '/')).replace(UNSAFE_NAME, '')).normalize('NFC').trim();
  return (base || 'upload').slice(0, 255);
}

/** The multipart body: one file in the field `file`, within the size limit, not empty. */
export async function readUploadBody(request: FastifyRequest, limits: Pick<UploadLimits, 'maxBytes'>): Promise<UploadBody> {
  if (!request.isMultipart()) {
    throw new HttpProblem(415, 'not_multipart', 'Unsupported media type', 'upload the image as multipart/form-data with the field "file"');
  }
  let upload: { filename: string; data: Buffer } | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: limits.maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 11 } })) {
      if (part.type !== 'file') continue; // unknown text fields are ignored
      if (part.fieldname !== 'file') {
        await part.toBuffer().catch(() => undefined);
        throw new HttpProblem(400, 'wrong_field', 'Bad request', `the image must be in the field "file", not "${part.fieldname.slice(0, 64)}"`);
      }
      upload = { filename: part.filename, data: await part.toBuffer() };
    }
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpProblem(413, 'file_too_large', 'Payload too large', `the file is larger than ${limits.maxBytes} bytes`);
    if (code === 'FST_FILES_LIMIT') throw new HttpProblem(400, 'too_many_files', 'Bad request', 'upload exactly one file');
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new HttpProblem(400, 'too_many_parts', 'Bad request', 'too many form fields');
    throw new HttpProblem(400, 'malformed_multipart', 'Bad request', 'the multipart body could not be read');
  }
  if (!upload) throw new HttpProblem(400, 'file_missing', 'Bad request', 'no file in the field "file"');
  if (upload.data.length === 0) throw new HttpProblem(400, 'empty_file', 'Bad request', 'the file is empty');
  return { filename: cleanFilename(upload.filename), data: upload.data };
}

/** An image the pipeline refuses as a 415 or 422 problem; anything else unchanged. */
export const asProblem = (err: unknown): unknown =>
  err instanceof InferenceInputError ? new HttpProblem(err.code === 'unsupported_format' ? 415 : 422, err.code, 'Unprocessable image', err.message) : err;

/**
 * The format by signature, the header (pixel limit), then the streamed decode inside the pixel
 * budget — skipped for bytes already stored: blobs are only written after this check passed, so
 * the same bytes were decoded before (`known(sha256)` says so; BlobStore.touch also keeps them
 * from the collector).
 */
export async function checkUpload(body: UploadBody, checks: UploadChecks, known: () => Promise<boolean>): Promise<CheckedUpload & { known: boolean }> {
  const format = sniffFormat(body.data);
  if (!format) throw new HttpProblem(415, 'unsupported_format', 'Unsupported media type', 'only JPEG, PNG and WebP images are accepted (checked by content)');
  try {
    // The header alone says how many pixels the decode will cost (and refuses bombs before any).
    const header = await readImageHeader(body.data, checks.maxPixels);
    if (await known()) return { ...body, contentType: CONTENT_TYPES[format]!, ...orientedSize(header), known: true };
    const { width, height } = await checks.budget.run(header.width * header.height, checks.waitMs, () => checkImage(body.data, checks.maxPixels, header));
    return { ...body, contentType: CONTENT_TYPES[format]!, width, height, known: false };
  } catch (err) {
    if (err instanceof PixelBudgetTimeout) {
      throw new HttpProblem(503, 'uploads_busy', 'Service unavailable', 'too many images are being checked right now; retry shortly', { retryAfterSeconds: 1 });
    }
    throw asProblem(err);
  }
}
