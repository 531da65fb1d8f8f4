// The maintenance tasks (called directly) and their BullMQ job schedulers.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineRef } from '../../../src/inference/pipeline-ref.js';
import { collectBlobs } from '../../../src/workers/images/collect-blobs.js';
import { reanalyzeStale } from '../../../src/workers/images/reanalyze-stale.js';
import { purgeSessions } from '../../../src/workers/identity/purge-sessions.js';
import { maintenanceTasks } from '../../../src/workers/index.js';
import { createMaintenanceQueue, registerSchedulers, startSchedulers } from '../../../src/workers/maintenance.js';
import { eventually } from '../../../support/eventually.js';
import { TEST_REDIS_URL } from '../../../support/redis-test-prefix.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { createImagesFixture, type ImagesFixture } from '../../support/pipeline.js';
import { testLogger } from '../../support/silent-logger.js';

let f: ImagesFixture;

beforeAll(async () => {
  f = await createImagesFixture('workers_schedulers');
});

afterAll(async () => {
  await f?.stop();
});

/** A row in rm.images as the images projection would have it (inserted directly here). */
async function imageRow(imageId: string, sha256: string, row: { status: string; ageMinutes: number; modelVersion?: string; deleted?: boolean }) {
  await f.db.pool.query(
    `insert into rm.images (image_id, owner_id, filename, content_type, bytes, width, height, sha256, status, model_version,
                            uploaded_at, updated_at, deleted_at, revision, last_position)
     values ($1, $2, 'x.jpg', 'image/jpeg', 1, 1, 1, $3, $4, $5,
             now() - make_interval(mins => $6), now() - make_interval(mins => $6), case when $7 then now() end, 0, '0-0')`,
    [imageId, randomUUID(), sha256, row.status, row.modelVersion ?? null, row.ageMinutes, row.deleted ?? false],
  );
}

describe('reanalyze-stale', () => {
  it('requests analysis for stuck pending and stale-model images only', async () => {
    const sample = await readSample('sample1.jpg');
    const current = pipelineRef('ssd').version;
    const cases = {
      stuck: { status: 'pending', ageMinutes: 30 },
      freshPending: { status: 'pending', ageMinutes: 1 },
      staleModel: { status: 'analyzed', ageMinutes: 1, modelVersion: 'old-pipeline' },
      currentModel: { status: 'analyzed', ageMinutes: 60, modelVersion: current },
      deletedStuck: { status: 'pending', ageMinutes: 30, deleted: true },
      failed: { status: 'failed', ageMinutes: 60 },
    };
    const ids: Record<string, string> = {};
    for (const [name, row] of Object.entries(cases)) {
      const { imageId } = await uploadSample(f, sample);
      ids[name] = imageId;
      await imageRow(imageId, ((await imageEvents(f.store, imageId))[0]!.data as { sha256: string }).sha256, row);
    }
    // Known to the read model but gone from the log's point of view: deleted in the meantime.
    const { imageId: deletedMeanwhile } = await uploadSample(f, sample);
    await imageRow(deletedMeanwhile, 'f'.repeat(64), { status: 'pending', ageMinutes: 45 });
    await f.images.delete(deletedMeanwhile, 'test', { actor: { id: 'test', kind: 'system' }, correlationId: randomUUID() });

    const result = await reanalyzeStale({ pool: f.db.pool, images: f.images, detector: 'ssd', stuckPendingMinutes: 15 });
    expect(result).toEqual({ stuckPending: 1, staleModel: 1, skipped: 1 });

    const requested = async (name: string) => ofType(await imageEvents(f.store, ids[name]!), 'ImageAnalysisRequested');
    const [stuck] = await requested('stuck');
    expect(stuck?.data).toEqual({ model: pipelineRef('ssd'), reason: 'stuck_pending' });
    expect(stuck?.metadata.actor).toMatchObject({ kind: 'system' });
    const [stale] = await requested('staleModel');
    expect(stale?.data).toEqual({ model: pipelineRef('ssd'), reason: 'stale_model' });
    for (const name of ['freshPending', 'currentModel', 'deletedStuck', 'failed']) expect(await requested(name), name).toEqual([]);
  });

  it('bounds the number of requests per run', async () => {
    const before = await f.db.pool.query<{ n: string }>(`select count(*) as n from rm.images where status = 'pending' and deleted_at is null and updated_at < now() - interval '15 minutes'`);
    expect(Number(before.rows[0]!.n)).toBeGreaterThan(1);
    const result = await reanalyzeStale({ pool: f.db.pool, images: f.images, detector: 'ssd', stuckPendingMinutes: 15, limit: 1 });
    expect(result.stuckPending + result.staleModel + result.skipped).toBe(1);
  });
});

describe('purge-sessions', () => {
  it('deletes sessions expired for more than a day', async () => {
    const session = async (expiresInHours: number) => {
      const id = randomUUID();
      await f.db.pool.query(
        `insert into rm.sessions (family_id, user_id, status, current_token_id, expires_at, started_at)
         values ($1, $2, 'active', $3, now() + make_interval(hours => $4), now() - interval '3 days')`,
        [id, randomUUID(), randomUUID(), expiresInHours],
      );
      return id;
    };
    const old = await session(-25);
    const recent = await session(-1);
    const live = await session(5);
    expect(await purgeSessions(f.db.pool)).toBe(1);
    const { rows } = await f.db.pool.query<{ family_id: string }>('select family_id::text from rm.sessions');
    expect(rows.map((r) => r.family_id).sort()).toEqual([recent, live].sort());
    expect(rows.map((r) => r.family_id)).not.toContain(old);
  });
});

describe('collect-blobs', () => {
  it('deletes a blob no live image references and keeps a referenced one', async () => {
    const referenced = await f.blobs.put(Buffer.from(`referenced ${randomUUID()}`), 'image/jpeg');
    const orphan = await f.blobs.put(Buffer.from(`orphan ${randomUUID()}`), 'image/jpeg');
    const ofDeleted = await f.blobs.put(Buffer.from(`of a deleted image ${randomUUID()}`), 'image/jpeg');
    await imageRow(randomUUID(), referenced, { status: 'analyzed', ageMinutes: 1, modelVersion: 'x' });
    await imageRow(randomUUID(), ofDeleted, { status: 'analyzed', ageMinutes: 1, modelVersion: 'x', deleted: true });

    const deleted = await collectBlobs(f.blobs, 0);
    expect(deleted).toContain(orphan);
    expect(deleted).toContain(ofDeleted);
    expect(deleted).not.toContain(referenced);
    expect(await f.blobs.exists(referenced)).toBe(true);
    expect(await f.blobs.exists(orphan)).toBe(false);

    // Within the grace period nothing is collected.
    const fresh = await f.blobs.put(Buffer.from(`fresh ${randomUUID()}`), 'image/jpeg');
    expect(await collectBlobs(f.blobs, 3_600)).not.toContain(fresh);
    expect(await f.blobs.exists(fresh)).toBe(true);
  });
});

describe('job schedulers', () => {
  it('registering twice (or from two instances) leaves one scheduler per task, and the worker runs them', async () => {
    const handle = startSchedulers({
      redisUrl: TEST_REDIS_URL,
      prefix: f.bull,
      everyMs: 60_000,
      pool: f.db.pool,
      images: f.images,
      blobs: f.blobs,
      detector: 'ssd',
      stuckPendingMinutes: 15,
      blobGraceSeconds: 3_600,
      logger: testLogger,
      tasks: maintenanceTasks,
    });
    const other = createMaintenanceQueue(TEST_REDIS_URL, f.bull, testLogger);
    try {
      await handle.registered;
      await registerSchedulers(other, 60_000, maintenanceTasks);
      await registerSchedulers(handle.queue, 60_000, maintenanceTasks);
      const schedulers = await handle.queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(maintenanceTasks.map((t) => t.name).sort());
      expect(schedulers.every((s) => s.every === 60_000)).toBe(true);

      // Each scheduler's first run happens right away and completes.
      const done = await eventually(async () => {
        const jobs = await handle.queue.getCompleted();
        return new Set(jobs.map((j) => j.name)).size === maintenanceTasks.length ? jobs : undefined;
      }, 'one completed run of each task');
      const failed = await handle.queue.getFailed();
      expect(failed.map((j) => `${j.name}: ${j.failedReason}`)).toEqual([]);
      expect(done.find((j) => j.name === 'purge-sessions')?.returnvalue).toEqual({ purged: 0 });
    } finally {
      await other.close();
      await handle.close();
    }
  });
});
