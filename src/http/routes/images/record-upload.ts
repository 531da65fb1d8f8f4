// POST /v1/images after the body is read: a retry under a known Idempotency-Key is answered from
// the first upload before anything is decoded (other bytes: 422 idempotency_key_reused); else the
// upload is checked (no decode for bytes already stored) and recorded.

import type { BlobStore } from '../../../blobs/blob-store.js';
import type { CommandContext } from '../../../commands/context.js';
import type { ImageService, UploadResult } from '../../../commands/images/image-service.js';
import { IdempotencyKeyReusedError } from '../../../commands/images/upload-idempotency.js';
import { HttpProblem } from '../../problem.js';
import { checkUpload, type UploadBody, type UploadChecks } from './upload.js';

export interface RecordUploadDeps {
  images: ImageService;
  blobs: BlobStore;
  uploads: UploadChecks;
}

export async function recordUpload(
  deps: RecordUploadDeps,
  upload: { ownerId: string; body: UploadBody; sha256: string; idempotencyKey: string | undefined },
  ctx: CommandContext,
): Promise<UploadResult> {
  const { ownerId, body, sha256, idempotencyKey } = upload;
  try {
    if (idempotencyKey !== undefined) {
      const prior = await deps.images.priorUpload(ownerId, idempotencyKey);
      if (prior && prior.sha256 !== sha256) throw new IdempotencyKeyReusedError(prior.imageId);
      if (prior) return { ...prior, replayed: true };
    }
    const { known, ...checked } = await checkUpload(body, deps.uploads, () => deps.blobs.touch(sha256));
    return await deps.images.upload({ ownerId, ...checked }, ctx, { idempotencyKey, sha256, blobStored: known });
  } catch (err) {
    if (err instanceof IdempotencyKeyReusedError) throw new HttpProblem(422, err.code, 'Unprocessable request', err.message);
    throw err;
  }
}
