// Erasure that reaches the log (issue 15 item 4, DESIGN.md §9). A request records ErasureRequested
// on the erasure's own stream `erasure-<id>` (the id is derived from the target, so asking again
// returns the same erasure); executing it records the facts on the subjects' streams (UserErased,
// ImageErased, ImageFacesErased), shreds the keys (the log's sealed content becomes unreadable:
// crypto-shredding), records one KeyShredded per key, deletes the bytes no other live image uses,
// ends the sessions and records ErasureCompleted. Every step is idempotent, so execution resumes
// after a crash between any two steps: the erasure executor (src/workers/privacy/erasure-executor.ts,
// a checkpointed consumer of ErasureRequested) is the one policy that executes; the HTTP routes
// and other callers only request and wait for the receipt.
//
// The receipt is the completed erasure as a compact JWS signed with the service's Ed25519 key (the
// JWT key; verify it against GET /.well-known/jwks.json), header typ `erasure-receipt+jwt`.

import { nameBasedUuid } from '../../domain/name-based-id.js';
import type { JWTPayload } from 'jose';
import type { TokenService } from '../../auth/tokens.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { CheckpointWaiter } from '../../checkpoints/checkpoint-waiter.js';
import { DomainError } from '../../domain/decider.js';
import { sessionDecider, sessionStream } from '../../domain/identity/session.js';
import { userDecider } from '../../domain/identity/user.js';
import { userStream } from '../../domain/identity/user-events.js';
import { imageDecider, mayChangeImage } from '../../domain/images/image.js';
import { imageStream } from '../../domain/images/image-events.js';
import { erasureDecider, type ErasureState } from '../../domain/privacy/erasure.js';
import { erasureStream, type ErasurePositions, type ErasureReason, type ErasureTargetData, type ShreddedKeyFact } from '../../domain/privacy/erasure-events.js';
import type { Viewer } from '../../domain/identity/viewer.js';
import { positionToCursor } from '../../eventstore/position.js';
import type { EventStore, Position, RecordedEvent } from '../../eventstore/types.js';
import type { KeyPurpose } from '../../privacy/declarations.js';
import type { KeyStore, ShredSelector } from '../../privacy/key-store.js';
import { handleCommand, loadStream } from '../command-handler.js';
import { systemActor, type CommandContext } from '../context.js';

export type ErasureTarget =
  | { scope: 'account'; subjectId: string }
  | { scope: 'image'; imageId: string }
  /** `withdrawal`: which withdrawal of the consent this answers (1, 2, …): each gets its own erasure. */
  | { scope: 'purpose'; subjectId: string; purpose: 'face_analysis' | 'face_recognition'; withdrawal: number }
  /** One image's faces (retention): `occurrence` numbers the erasures of that image's faces (1, 2, …), each its own erasure. */
  | { scope: 'faces'; imageId: string; occurrence: number };

export const RECEIPT_TYP = 'erasure-receipt+jwt';

/** What a receipt states (the JWS payload's `erasure` claim). */
export interface ErasureReceiptClaims {
  id: string;
  scope: ErasureTargetData['scope'];
  subject: string;
  imageId?: string;
  purpose?: string;
  reason: ErasureReason;
  requestedBy: string;
  completedAt: string;
  keys: ShreddedKeyFact[];
  positions: ErasurePositions;
}

export interface ErasureReceipt {
  erasureId: string;
  /** The compact JWS (typ erasure-receipt+jwt): what the user keeps. */
  receipt: string;
  claims: ErasureReceiptClaims;
}

/** The steps of an execution, in order (a test's `failAfter` names one to simulate a crash after it). */
export type ErasureStep = 'facts' | 'sessions' | 'shred' | 'recorded' | 'blobs';

export interface ErasureServiceDeps {
  store: EventStore;
  /** Shreds keys, and says which images a subject has keys for (every image, projected or not). */
  keys: Pick<KeyStore, 'shred' | 'imagesOf' | 'imagesWithKeysFor'>;
  blobs: Pick<BlobStore, 'deleteUnused'>;
  signer: Pick<TokenService, 'signStatement'>;
  /** The user's sessions still standing (rm.sessions), ended by an account erasure; injected by the composition root. */
  sessionsOf?: (userId: string) => Promise<string[]>;
  /** Waits for the erasure executor's checkpoint (awaitReceipt); without it awaitReceipt only looks once. */
  checkpoints?: Pick<CheckpointWaiter, 'waitFor'>;
  /** Tests: throw after a step to simulate a crash there. */
  failAfter?: (step: ErasureStep, erasureId: string) => void;
}

const ERASURE_NAMESPACE = '3e0b8f4a9c2d4e71b6a5f0c1d2e3f405';

/** The erasure id of a target (name-based UUID v5): the same target always gets the same erasure. */
export function erasureIdFor(target: ErasureTargetData): string {
  const name = [target.scope, target.subjectId, target.imageId ?? '', target.purpose ?? '', target.withdrawal ?? ''].join('\n');
  return nameBasedUuid(ERASURE_NAMESPACE, name);
}

/** The erasure executor's consumer name (src/projections/privacy/erasure-requests.ts). */
export const EXECUTOR_CONSUMER = 'erasure-executor';

const FACT_TYPES = new Set(['UserErased', 'ImageErased', 'ImageFacesErased']);

async function readAll(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
}

export class ErasureService {
  constructor(private readonly deps: ErasureServiceDeps) {}

  /**
   * Records the request (nothing new when this target was asked for already); returns the erasure
   * id and the request's position. An image erasure a user asks for: its owner or an admin only
   * (else 404 image_not_found, nothing written).
   */
  async request(target: ErasureTarget, reason: ErasureReason, ctx: CommandContext): Promise<{ erasureId: string; position: Position | undefined; completed: boolean }> {
    const data = await this.targetData(target, ctx);
    const erasureId = erasureIdFor(data);
    const result = await handleCommand(this.deps.store, erasureDecider, erasureStream(erasureId), { type: 'RequestErasure', erasureId, target: data, reason, requestedBy: ctx.actor.id }, ctx);
    return { erasureId, position: result.position, completed: result.state.status === 'completed' };
  }

  private async targetData(target: ErasureTarget, ctx: CommandContext): Promise<ErasureTargetData> {
    switch (target.scope) {
      case 'account': {
        const { state } = await loadStream(this.deps.store, userDecider, userStream(target.subjectId));
        if (state.status === 'none') throw new DomainError('not_found', 'user_not_found', 'no such user');
        return { scope: 'account', subjectId: target.subjectId };
      }
      case 'image': {
        const { state } = await loadStream(this.deps.store, imageDecider, imageStream(target.imageId));
        const notFound = () => new DomainError('not_found', 'image_not_found', 'no such image');
        if (state.status === 'none') throw notFound();
        const data: ErasureTargetData = { scope: 'image', subjectId: state.ownerId, imageId: target.imageId };
        const requester: Viewer | undefined = ctx.actor.kind === 'user' ? { userId: ctx.actor.id, role: ctx.actor.role ?? 'user' } : undefined;
        if (requester && !mayChangeImage(requester, state.ownerId)) throw notFound();
        // Erased already by another erasure (its account's): nothing of it is left to erase.
        if (state.status === 'erased' && !state.erasures.has(erasureIdFor(data))) throw notFound();
        return data;
      }
      case 'faces': {
        const { state } = await loadStream(this.deps.store, imageDecider, imageStream(target.imageId));
        if (state.status === 'none') throw new DomainError('not_found', 'image_not_found', 'no such image');
        if (!Number.isInteger(target.occurrence) || target.occurrence < 1) throw new DomainError('invalid', 'invalid_erasure_target', 'occurrence must be a positive integer');
        return { scope: 'faces', subjectId: state.ownerId, imageId: target.imageId, purpose: 'face_analysis', withdrawal: target.occurrence };
      }
      case 'purpose':
        if (!Number.isInteger(target.withdrawal) || target.withdrawal < 1) throw new DomainError('invalid', 'invalid_erasure_target', 'withdrawal must be a positive integer');
        return { scope: 'purpose', subjectId: target.subjectId, purpose: target.purpose, withdrawal: target.withdrawal };
    }
  }

  /** The erasure's state from its stream. */
  async state(erasureId: string): Promise<ErasureState> {
    return (await loadStream(this.deps.store, erasureDecider, erasureStream(erasureId))).state;
  }

  /**
   * Executes a requested erasure to completion; does nothing for a completed one. Idempotent:
   * run again after a failure at any step, it records only what is missing.
   */
  async execute(erasureId: string, ctx?: CommandContext): Promise<void> {
    const stream = erasureStream(erasureId);
    const events = await readAll(this.deps.store, stream);
    let state: ErasureState = erasureDecider.initialState;
    for (const e of events) state = erasureDecider.evolve(state, e as never);
    if (state.status === 'none') throw new DomainError('not_found', 'erasure_not_found', `no erasure ${erasureId}`);
    if (state.status === 'completed') return;
    const context: CommandContext = ctx ?? { actor: systemActor('erasure-executor'), correlationId: events[0]?.metadata.correlationId ?? erasureId, causationId: events[0]?.id ?? erasureId };
    const { target } = state;
    const fail = (step: ErasureStep) => this.deps.failAfter?.(step, erasureId);

    // 1. The facts on the subjects' streams.
    const factStreams: string[] = [];
    const erasedImages: string[] = [];
    const shas: string[] = [];
    const eraseImage = async (imageId: string) => {
      try {
        await handleCommand(this.deps.store, imageDecider, imageStream(imageId), { type: 'EraseImage', erasureId, reason: state.reason }, context);
      } catch (err) {
        // A key made for an upload that was never recorded: no stream, nothing to record.
        if (err instanceof DomainError && err.code === 'image_not_found') return;
        throw err;
      }
      factStreams.push(imageStream(imageId));
      erasedImages.push(imageId);
    };
    if (target.scope === 'account') {
      await handleCommand(this.deps.store, userDecider, userStream(target.subjectId), { type: 'EraseUser', erasureId }, context);
      factStreams.push(userStream(target.subjectId));
      // From the key store, not a read model: every image that ever got a key, projected or not.
      for (const imageId of await this.deps.keys.imagesOf(target.subjectId)) await eraseImage(imageId);
    } else if (target.scope === 'image') {
      await eraseImage(target.imageId!);
    } else if (target.scope === 'faces') {
      try {
        await handleCommand(this.deps.store, imageDecider, imageStream(target.imageId!), { type: 'EraseImageFaces', erasureId, purpose: 'face_analysis' }, context);
        factStreams.push(imageStream(target.imageId!));
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'image_not_found')) throw err;
      }
    } else {
      for (const imageId of await this.deps.keys.imagesWithKeysFor(target.subjectId, target.purpose!)) {
        try {
          await handleCommand(this.deps.store, imageDecider, imageStream(imageId), { type: 'EraseImageFaces', erasureId, purpose: target.purpose! }, context);
          factStreams.push(imageStream(imageId));
        } catch (err) {
          if (!(err instanceof DomainError && err.code === 'image_not_found')) throw err;
        }
      }
    }
    for (const imageId of erasedImages) {
      for await (const e of this.deps.store.readStream(imageStream(imageId), { maxCount: 1 })) {
        if (e.type === 'ImageUploaded') shas.push((e.data as { sha256: string }).sha256);
      }
    }
    fail('facts');

    // 2. Sessions: an erased account's tokens stop working (its refresh and login are refused by the user stream).
    if (target.scope === 'account' && this.deps.sessionsOf) {
      for (const sessionId of await this.deps.sessionsOf(target.subjectId)) {
        await handleCommand(this.deps.store, sessionDecider, sessionStream(sessionId), { type: 'RevokeSession', reason: 'account_erased' }, context);
      }
    }
    fail('sessions');

    // 3. The keys: the sealed content in the log becomes unreadable.
    const selector: ShredSelector =
      target.scope === 'account'
        ? { subjectId: target.subjectId }
        : target.scope === 'image'
          ? { imageId: target.imageId! }
          : target.scope === 'faces'
            ? { imageId: target.imageId!, purpose: 'face_analysis' }
            : { subjectId: target.subjectId, purpose: target.purpose as KeyPurpose };
    const shredded = await this.deps.keys.shred(erasureId, selector);
    fail('shred');
    await handleCommand(this.deps.store, erasureDecider, stream, { type: 'RecordShreddedKeys', keys: shredded.map((k) => ({ kid: k.kid, purpose: k.purpose, ...(k.imageId === undefined ? {} : { imageId: k.imageId }) })) }, context);
    fail('recorded');

    // 4. The bytes, unless another live image shows them.
    if (shas.length > 0) await this.deps.blobs.deleteUnused(shas, erasedImages);
    fail('blobs');

    // 5. Done: where every fact is.
    const after = await readAll(this.deps.store, stream);
    const facts: Record<string, string> = {};
    for (const s of factStreams) {
      for (const e of await readAll(this.deps.store, s)) {
        if (FACT_TYPES.has(e.type) && (e.data as { erasureId?: string }).erasureId === erasureId) facts[s] = positionToCursor(e.position);
      }
    }
    const lastShred = after.filter((e) => e.type === 'KeyShredded').at(-1);
    const positions: ErasurePositions = { requested: positionToCursor(after[0]!.position), facts, shredded: lastShred ? positionToCursor(lastShred.position) : null };
    await handleCommand(this.deps.store, erasureDecider, stream, { type: 'CompleteErasure', completedAt: new Date().toISOString(), positions }, context);
  }

  /** The signed receipt of a completed erasure; undefined while it is not completed (or unknown). */
  async receipt(erasureId: string): Promise<ErasureReceipt | undefined> {
    return this.receiptOf(await this.state(erasureId));
  }

  /** The signed receipt of an erasure in this state; undefined while it is not completed. */
  async receiptOf(state: ErasureState): Promise<ErasureReceipt | undefined> {
    if (state.status !== 'completed' || !state.completedAt || !state.positions) return undefined;
    const t = state.target;
    const claims: ErasureReceiptClaims = {
      id: state.erasureId,
      scope: t.scope,
      subject: t.subjectId,
      ...(t.imageId === undefined ? {} : { imageId: t.imageId }),
      ...(t.purpose === undefined ? {} : { purpose: t.purpose }),
      reason: state.reason,
      requestedBy: state.requestedBy,
      completedAt: state.completedAt,
      keys: [...state.shredded],
      positions: state.positions,
    };
    // Signed at the completion time: the same erasure always gets the same receipt (Ed25519 is deterministic).
    const payload: JWTPayload = { sub: t.subjectId, jti: state.erasureId, typ: 'erasure-receipt', erasure: claims };
    const receipt = await this.deps.signer.signStatement(RECEIPT_TYP, payload, new Date(state.completedAt));
    return { erasureId: state.erasureId, receipt, claims };
  }

  /**
   * The receipt once the erasure completes, waiting at most `timeoutMs` for the erasure executor's
   * checkpoint to pass the request (it moves only once the erasure it asked for is executed: no
   * polling); undefined when it did not complete in time.
   */
  async awaitReceipt(erasureId: string, timeoutMs: number): Promise<ErasureReceipt | undefined> {
    const now = await this.receipt(erasureId);
    if (now || timeoutMs <= 0 || !this.deps.checkpoints) return now;
    let requested: Position | undefined;
    for await (const e of this.deps.store.readStream(erasureStream(erasureId), { maxCount: 1 })) requested = e.position;
    if (requested === undefined) return undefined;
    await this.deps.checkpoints.waitFor([EXECUTOR_CONSUMER], requested, timeoutMs);
    return this.receipt(erasureId);
  }
}
