// Maintenance task `collect-blobs`: bytes no live image references, written longer ago than the
// grace period (a blob being re-uploaded right now is kept). Not done by the images projection on
// purpose: a rebuild replays deletions, and must not delete bytes a later image uses.

import type { BlobStore } from '../../blobs/blob-store.js';
import type { MaintenanceTask } from '../worker-role.js';

/** Deletes blobs no live image references, older than the grace period; returns their sha256s. */
export function collectBlobs(blobs: Pick<BlobStore, 'collectOrphans'>, graceSeconds: number): Promise<string[]> {
  return blobs.collectOrphans(graceSeconds);
}

export const collectBlobsTask: MaintenanceTask = {
  name: 'collect-blobs',
  async run(deps, log) {
    const deleted = await collectBlobs(deps.blobs, deps.blobGraceSeconds);
    if (deleted.length > 0) log.info({ deleted: deleted.length }, 'collect-blobs: orphan blobs deleted');
    return { deleted: deleted.length };
  },
};
