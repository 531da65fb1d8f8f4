// Image use cases: upload (blob first, then ImageUploaded), re-analysis, deletion, and the
// analysis results the workers report. Who may re-analyse or delete is the decider's rule: a
// user's command carries who asks (`requestedBy`), the system's carries no one.

import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { Viewer } from '../../domain/identity/viewer.js';
import { imageDecider } from '../../domain/images/image.js';
import { imageStream, type AnalysisReason, type FaceRecord, type ModelIdentity, type ModelRef } from '../../domain/images/image-events.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import { handleCommand } from '../command-handler.js';
import type { Actor, CommandContext } from '../context.js';

export interface UploadInput {
  ownerId: string;
  filename: string;
  contentType: string;
  data: Buffer;
  width: number;
  height: number;
}

export class ImageService {
  constructor(
    private readonly store: EventStore,
    private readonly blobs: BlobStore,
  ) {}

  /** Stores the bytes, then records the upload. The upload itself is the first analysis request. */
  async upload(input: UploadInput, ctx: CommandContext): Promise<{ imageId: string; position: Position }> {
    const sha256 = await this.blobs.put(input.data, input.contentType);
    const imageId = randomUUID();
    const result = await handleCommand(
      this.store,
      imageDecider,
      imageStream(imageId),
      {
        type: 'UploadImage',
        imageId,
        ownerId: input.ownerId,
        filename: input.filename,
        contentType: input.contentType,
        bytes: input.data.length,
        width: input.width,
        height: input.height,
        sha256,
      },
      ctx,
    );
    return { imageId, position: result.position! };
  }

  /** A user: owner or admin only; others (and missing or deleted images) get 404, never 403. */
  async requestAnalysis(imageId: string, model: ModelRef, reason: AnalysisReason, ctx: CommandContext): Promise<Position> {
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

/** Who asks, for the commands a user issues (a user without a role is no admin); none for the system and workers. */
function requesterOf(actor: Actor): Viewer | undefined {
  return actor.kind === 'user' ? { userId: actor.id, role: actor.role ?? 'user' } : undefined;
}
