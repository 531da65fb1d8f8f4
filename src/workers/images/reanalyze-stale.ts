// Maintenance task `reanalyze-stale`: images pending for too long (a lost job), or analysed with
// another pipeline version than the current one, are asked for again (a new request each).

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ImageService } from '../../commands/images/image-service.js';
import { systemActor } from '../../commands/context.js';
import { ConsentWithdrawnError } from '../../privacy/errors.js';
import { DomainError } from '../../domain/decider.js';
import { pipelineRef } from '../../inference/pipeline-ref.js';
import type { DetectorName } from '../../inference/types.js';
import type { MaintenanceTask } from '../worker-role.js';

export interface ReanalyzeStaleDeps {
  pool: pg.Pool;
  images: Pick<ImageService, 'requestAnalysis'>;
  detector: DetectorName;
  stuckPendingMinutes: number;
  /** Most images requested per run (default 100); the next run takes the rest. */
  limit?: number;
  logger?: Logger;
}

export interface ReanalyzeStaleResult {
  stuckPending: number;
  staleModel: number;
  skipped: number;
}

/**
 * Requests analysis again for images (per rm.images, not deleted) that are pending for longer
 * than `stuckPendingMinutes` (by updated_at), or analyzed with another pipeline version than the
 * current one. Oldest first, at most `limit` per run.
 */
export async function reanalyzeStale(deps: ReanalyzeStaleDeps): Promise<ReanalyzeStaleResult> {
  const ref = pipelineRef(deps.detector);
  const { rows } = await deps.pool.query<{ image_id: string; reason: 'stuck_pending' | 'stale_model' }>(
    `select image_id::text as image_id,
            case when status = 'pending' then 'stuck_pending' else 'stale_model' end as reason
       from rm.images
      where deleted_at is null
        and ((status = 'pending' and updated_at < now() - make_interval(mins => $1))
          or (status = 'analyzed' and model_version is distinct from $2))
      order by updated_at, image_id
      limit $3`,
    [deps.stuckPendingMinutes, ref.version, deps.limit ?? 100],
  );
  const ctx = { actor: systemActor('scheduler:reanalyze-stale'), correlationId: randomUUID() };
  const result: ReanalyzeStaleResult = { stuckPending: 0, staleModel: 0, skipped: 0 };
  for (const row of rows) {
    try {
      await deps.images.requestAnalysis(row.image_id, ref, row.reason, ctx);
      if (row.reason === 'stuck_pending') result.stuckPending++;
      else result.staleModel++;
    } catch (err) {
      // Deleted or erased since the read model saw it (or not in the log at all), or its owner's
      // face_analysis consent is not in force: nothing to request.
      if (!(err instanceof DomainError && (err.code === 'image_not_found' || err.code === 'consent_required')) && !(err instanceof ConsentWithdrawnError)) throw err;
      result.skipped++;
    }
  }
  if (rows.length > 0) deps.logger?.info({ ...result, correlationId: ctx.correlationId }, 'reanalyze-stale: analysis requested');
  return result;
}

export const reanalyzeStaleTask: MaintenanceTask = {
  name: 'reanalyze-stale',
  async run(deps, log) {
    return { ...(await reanalyzeStale({ ...deps, logger: log })) };
  },
};
