// Image use cases: upload (blob first, then ImageUploaded), re-analysis, deletion, and the
// analysis results the workers report. Who may re-analyse or delete is the decider's rule: a
// user's command carries who asks (`requestedBy`), the system's carries no one.

import { randomUUID } from 'node:crypto';
import { sha256Hex, type BlobStore } from '../../blobs/blob-store.js';
import type { Viewer } from '../../domain/identity/viewer.js';
import { imageDecider, mayChangeImage } from '../../domain/images/image.js';
import { imageStream, type AnalysisReason, type FaceRecord, type ModelIdentity, type ModelRef } from '../../domain/images/image-events.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import { assertAppendable, handleCommand, loadStream } from '../command-handler.js';
import { DomainError } from '../../domain/decider.js';
import type { Actor, CommandContext } from '../context.js';
import { requireConsent } from '../identity/consents.js';
import { IdempotencyKeyReusedError, uploadIdFor } from './upload-idempotency.js';

export interface UploadInput {
  ownerId: string;
  filename: string;
  contentType: string;
  data: Buffer;
  width: number;
  height: number;
}

/** An upload already recorded under an Idempotency-Key: what its first answer said. */
export interface PriorUpload {
  imageId: string;
  position: Position;
  sha256: string;
}

export interface UploadResult {
  imageId: string;
  position: Position;
  /** True when an earlier upload with the same Idempotency-Key answered (nothing was written). */
  replayed: boolean;
}

export class ImageService {
  constructor(
    private readonly store: EventStore,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Checks the owner's face_analysis consent, stores the bytes, then records the upload. The upload itself is the first analysis request.
   * With `idempotencyKey` the image id is derived from (owner, key): a retry of a recorded upload
   * writes nothing and returns the first answer; the same key with other bytes throws
   * IdempotencyKeyReusedError. `sha256` may be passed when the caller already hashed the bytes,
   * `blobStored` when it found them stored already (the bytes are then not sent again).
   */
  async upload(
    input: UploadInput,
    ctx: CommandContext,
    opts: { idempotencyKey?: string | undefined; sha256?: string | undefined; /** The caller found the blob stored (BlobStore.touch). */ blobStored?: boolean } = {},
  ): Promise<UploadResult> {
    const sha256 = opts.sha256 ?? sha256Hex(input.data);
    const imageId = opts.idempotencyKey === undefined ? randomUUID() : uploadIdFor(input.ownerId, opts.idempotencyKey);
    const command = {
      type: 'UploadImage' as const,
      imageId,
      ownerId: input.ownerId,
      filename: input.filename,
      contentType: input.contentType,
      bytes: input.data.length,
      width: input.width,
      height: input.height,
      sha256,
    };
    if (opts.idempotencyKey !== undefined) {
      const prior = await this.priorUpload(input.ownerId, opts.idempotencyKey);
      if (prior) return answerFor(prior, sha256);
    }
    // No collection without consent (issue 15): 409 consent_required unless the owner's user
    // stream (not a read model: a consent given a moment ago counts) has face_analysis in force.
    const consent = await requireConsent(this.store, input.ownerId, 'face_analysis');
    // Refused before the blob is written: a rejected upload leaves nothing behind.
    assertAppendable(this.store, imageDecider, imageStream(imageId), command, ctx);
    // The image's keys (src/privacy): its filename, and the faces its analysis will find — the
    // latter refused (consent_required) when a withdrawal was recorded since the check above.
    await this.store.dataKeys?.ensureKey({ purpose: 'content', subjectId: input.ownerId, imageId });
    await this.store.dataKeys?.ensureKey({ purpose: 'face_analysis', subjectId: input.ownerId, imageId, consentWithdrawals: consent.withdrawals });
    if (!opts.blobStored) await this.blobs.put(input.data, input.contentType, sha256);
    try {
      const result = await handleCommand(this.store, imageDecider, imageStream(imageId), command, ctx);
      return { imageId, position: result.position!, replayed: false };
    } catch (err) {
      // A concurrent retry with the same key recorded it first. (Its blob is the same bytes; a
      // different-bytes loser leaves a blob no image references: collect-blobs reclaims it.)
      if (opts.idempotencyKey === undefined || !(err instanceof DomainError && err.code === 'image_exists')) throw err;
      const prior = await this.priorUpload(input.ownerId, opts.idempotencyKey);
      if (!prior) throw err;
      return answerFor(prior, sha256);
    }
  }

  /** The upload recorded for (owner, Idempotency-Key), if any. */
  async priorUpload(ownerId: string, idempotencyKey: string): Promise<PriorUpload | undefined> {
    const imageId = uploadIdFor(ownerId, idempotencyKey);
    for await (const event of this.store.readStream(imageStream(imageId), { maxCount: 1 })) {
      const data = event.data as { ownerId?: string; sha256?: string };
      if (event.type !== 'ImageUploaded' || data.ownerId !== ownerId || typeof data.sha256 !== 'string') throw new IdempotencyKeyReusedError(imageId);
      return { imageId, position: event.position, sha256: data.sha256 };
    }
    return undefined;
  }

  /** A user: owner or admin only; others (and missing or deleted images) get 404, never 403. */
  async requestAnalysis(imageId: string, model: ModelRef, reason: AnalysisReason, ctx: CommandContext): Promise<Position> {
    // A new analysis is a new collection: the owner's face_analysis consent must be in force (also
    // for the system's re-analyses), and the image gets a live face_analysis key again if a
    // withdrawal shredded the last one.
    const { state } = await loadStream(this.store, imageDecider, imageStream(imageId));
    if (state.status !== 'none' && (state.status === 'pending' || state.status === 'analyzed' || state.status === 'failed')) {
      const requester = requesterOf(ctx.actor);
      if (requester === undefined || mayChangeImage(requester, state.ownerId)) {
        const consent = await requireConsent(this.store, state.ownerId, 'face_analysis');
        await this.store.dataKeys?.ensureKey({ purpose: 'face_analysis', subjectId: state.ownerId, imageId, consentWithdrawals: consent.withdrawals });
      }
    }
    const result = await handleCommand(this.store, imageDecider, imageStream(imageId), { type: 'RequestAnalysis', model, reason, requestedBy: requesterOf(ctx.actor) }, ctx);
    return result.position!;
  }

  /** A user: owner or admin only, as for re-analysis; the system's second delete is a no-op. */
  async delete(imageId: string, reason: string, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, imageDecider, imageStream(imageId), { type: 'DeleteImage', reason, requestedBy: requesterOf(ctx.actor) }, ctx);
    return result.position;
  }

  /** Records a worker's result; a second result for the same request is a no-op (returns undefined). */
  async recordAnalysis(
    imageId: string,
    result: { requestId: string; model: ModelIdentity; faces: FaceRecord[]; durationMs: number },
    ctx: CommandContext,
  ): Promise<Position | undefined> {
    const out = await handleCommand(this.store, imageDecider, imageStream(imageId), { type: 'RecordImageAnalysis', ...result }, ctx);
    return out.position;
  }

  async recordFailure(
    imageId: string,
    failure: { requestId: string; model: ModelRef; error: { code: string; message: string }; attempts: number },
    ctx: CommandContext,
  ): Promise<Position | undefined> {
    const out = await handleCommand(this.store, imageDecider, imageStream(imageId), { type: 'RecordAnalysisFailure', ...failure }, ctx);
    return out.position;
  }
}

function answerFor(prior: PriorUpload, sha256: string): UploadResult {
  if (prior.sha256 !== sha256) throw new IdempotencyKeyReusedError(prior.imageId);
  return { imageId: prior.imageId, position: prior.position, replayed: true };
}

/** Who asks, for the commands a user issues (a user without a role is no admin); none for the system and workers. */
function requesterOf(actor: Actor): Viewer | undefined {
  return actor.kind === 'user' ? { userId: actor.id, role: actor.role ?? 'user' } : undefined;
}
