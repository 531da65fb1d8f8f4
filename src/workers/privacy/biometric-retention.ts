// Retention of biometric data (issue 15 item 6; BIPA 740 ILCS 14/15(a)): a maintenance task that
// asks for the erasure, with reason 'retention', of every image's biometric data whose last
// interaction is older than BIOMETRIC_RETENTION_DAYS. The last interaction of an image is its
// owner's last upload or analysis request for it (ImageUploaded; ImageAnalysisRequested by the
// owner): the worker's analyses, an admin's re-analysis and the schedulers' do not count.
//
// Which images still hold biometric data comes from the key store: an image with a live
// face_analysis key (its faces can be read). The key is created before the upload is recorded,
// so a key created after the cutoff cannot be expired; for the others the image's stream says
// when the owner last interacted with it.
//
// Exactly once: one run at a time across every process (a PostgreSQL advisory lock, on top of
// BullMQ handing each scheduled run to one worker), and the erasure id is derived from the target
// (ErasureService.request), so a repeated request records nothing new. The erasure executor
// shreds the key; the image then has no live face_analysis key and is not selected again. Only the
// faces are erased (scope 'faces'): the photo and its filename are the user's, not biometric data.

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { systemActor, type CommandContext } from '../../commands/context.js';
import { DomainError } from '../../domain/decider.js';
import type { ErasureService } from '../../commands/privacy/erasure-service.js';
import type { EventStore } from '../../eventstore/types.js';
import type { MaintenanceTask } from '../worker-role.js';

export const BIOMETRIC_RETENTION_TASK = 'biometric-retention';

/** One lock key for every process (the one-bigint advisory lock space; the runners use two-int keys). */
const RETENTION_LOCK = 'facetrail:biometric-retention';
const DAY_MS = 86_400_000;

/** An image whose biometric data is past retention. */
export interface ExpiredImage {
  imageId: string;
  subjectId: string;
  lastInteraction: Date;
}

/**
 * THE CALL SITE of the erasure service for retention: requests the erasure of one image's
 * biometric data with reason 'retention'. Idempotent: the same image always gets the same erasure.
 */
export interface RetentionEraser {
  requestRetentionErasure(image: ExpiredImage, ctx: CommandContext): Promise<{ erasureId: string }>;
}

export interface RetentionDeps {
  pool: pg.Pool;
  /** The image streams (the runtime's store). */
  store: Pick<EventStore, 'readStream'>;
  eraser: RetentionEraser;
  /** BIOMETRIC_RETENTION_DAYS. */
  retentionDays: number;
  /** The clock (tests fix it). */
  now?: () => Date;
  /** Candidates read per query. */
  batch?: number;
}

export interface RetentionRun extends Record<string, number> {
  /** 1 when another process was running it (this run did nothing). */
  skipped: number;
  /** Images with biometric data whose key is older than the cutoff. */
  examined: number;
  /** Of those, past retention: an erasure was requested for each. */
  requested: number;
  /** Past retention, but the image is gone already (erased by another erasure). */
  gone: number;
}

/** When the last interaction of the image (its stream's events) was: the owner's upload or analysis request. */
async function lastInteraction(store: Pick<EventStore, 'readStream'>, imageId: string, subjectId: string): Promise<Date | undefined> {
  let last: Date | undefined;
  for await (const e of store.readStream(`image-${imageId}`)) {
    const byOwner = e.type === 'ImageUploaded' || (e.type === 'ImageAnalysisRequested' && e.metadata.actor?.id === subjectId);
    if (byOwner && (!last || e.recordedAt > last)) last = e.recordedAt;
  }
  return last;
}

/** The images past retention at `cutoff`, oldest key first, read in pages. */
export async function* expiredImages(deps: Pick<RetentionDeps, 'pool' | 'store' | 'batch'>, cutoff: Date, counts?: { examined: number }): AsyncGenerator<ExpiredImage> {
  const batch = deps.batch ?? 200;
  let after: { at: string; kid: string } | undefined;
  for (;;) {
    const { rows } = await deps.pool.query<{ kid: string; image_id: string; subject_id: string; at: string }>(
      `select k.kid::text, k.image_id::text, k.subject_id::text, k.created_at::text as at
         from keys.data_keys k join keys.images i on i.image_id = k.image_id
        where k.purpose = 'face_analysis' and k.wrapped is not null and i.erased_at is null and k.created_at < $1
          ${after ? 'and (k.created_at, k.kid) > ($3::timestamptz, $4::uuid)' : ''}
        order by k.created_at, k.kid limit $2`,
      after ? [cutoff, batch, after.at, after.kid] : [cutoff, batch],
    );
    for (const r of rows) {
      if (counts) counts.examined++;
      const last = await lastInteraction(deps.store, r.image_id, r.subject_id);
      // No stream: a key made for an upload that was never recorded holds nothing.
      if (last && last < cutoff) yield { imageId: r.image_id, subjectId: r.subject_id, lastInteraction: last };
    }
    if (rows.length < batch) return;
    const last = rows.at(-1)!;
    after = { at: last.at, kid: last.kid };
  }
}

/** One retention run; does nothing while another process runs one. */
export async function runBiometricRetention(deps: RetentionDeps, log?: Logger): Promise<RetentionRun> {
  const now = (deps.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - deps.retentionDays * DAY_MS);
  const out: RetentionRun = { skipped: 0, examined: 0, requested: 0, gone: 0 };
  const client = await deps.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [RETENTION_LOCK]);
    if (!rows[0]?.locked) {
      out.skipped = 1;
      return out;
    }
    try {
      const correlationId = randomUUID();
      for await (const image of expiredImages(deps, cutoff, out)) {
        const ctx: CommandContext = { actor: systemActor(BIOMETRIC_RETENTION_TASK), correlationId };
        try {
          const { erasureId } = await deps.eraser.requestRetentionErasure(image, ctx);
          out.requested++;
          log?.info({ imageId: image.imageId, erasureId, lastInteraction: image.lastInteraction.toISOString(), retentionDays: deps.retentionDays }, 'biometric data past retention: erasure requested');
        } catch (err) {
          if (!(err instanceof DomainError && err.kind === 'not_found')) throw err;
          out.gone++;
        }
      }
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [RETENTION_LOCK]);
    }
    return out;
  } finally {
    client.release();
  }
}

/** The maintenance task over its own dependencies (src/workers/maintenance.ts adds it where the key store is). */
export function biometricRetentionTask(deps: RetentionDeps): MaintenanceTask {
  return { name: BIOMETRIC_RETENTION_TASK, run: (_maintenance, log) => runBiometricRetention(deps, log) };
}

/**
 * The eraser over the erasure service: the erasure of the image's faces only (scope 'faces'), with
 * reason 'retention' — the image, its filename and bytes stay; a later analysis gets a new key.
 * `occurrence` numbers the erasures of that image's faces (one more than the ImageFacesErased it
 * has): a request repeated before it is executed is the same erasure and records nothing.
 */
export function erasureServiceEraser(service: Pick<ErasureService, 'request'>, store: Pick<EventStore, 'readStream'>): RetentionEraser {
  return {
    async requestRetentionErasure(image, ctx) {
      let erased = 0;
      for await (const e of store.readStream(`image-${image.imageId}`)) if (e.type === 'ImageFacesErased') erased++;
      const { erasureId } = await service.request({ scope: 'faces', imageId: image.imageId, occurrence: erased + 1 }, 'retention', ctx);
      return { erasureId };
    },
  };
}
