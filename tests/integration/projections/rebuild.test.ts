// Rebuilds, verification and status of the read models against a live projector: the swap under
// traffic (readers never fail), verify at the live position (and catching a tampered row),
// --to building the past, status listing the consumers.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/projections-common.js';
import { execute as rebuildCommand } from '../../../src/cli/projections-rebuild.js';
import { execute as statusCommand } from '../../../src/cli/projections-status.js';
import { execute as verifyCommand } from '../../../src/cli/projections-verify.js';
import { positionToCursor, type Position } from '../../../src/eventstore/position.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore, NewEvent } from '../../../src/eventstore/types.js';
import { personalData } from '../../../src/domain/personal-data.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { personalDataRegistry, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { CheckpointWaiter } from '../../../src/checkpoints/checkpoint-waiter.js';
import { projections } from '../../../src/projections/index.js';
import { ProjectorRunner } from '../../../src/projections/runner.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { testLogger } from '../../support/silent-logger.js';
import { until } from '../../support/until.js';

let db: TestDatabase;
let bare: PostgresEventStore;
let keys: KeyStore;
/** Sealed, as every role runs it: the face index seals its descriptors under the image keys. */
let store: EventStore;
let waiter: CheckpointWaiter;
let runners: ProjectorRunner[];
let last: Position;
const NAMES = projections.map((p) => p.name);
const model = { name: 'ssd_mobilenetv1', version: '1', sha256: 'ab'.repeat(32) };

function face(seed: number) {
  return {
    box: { x: seed, y: seed + 1, width: 50.5, height: 60.25 },
    score: 0.9,
    landmarks: Array.from({ length: 68 }, (_, i) => [seed + i, seed - i] as [number, number]),
    descriptor: Array.from({ length: 128 }, (_, i) => Math.fround(Math.sin(seed + i))),
  };
}

async function append(stream: string, events: NewEvent[]): Promise<Position> {
  const r = await store.append(stream, events);
  last = r.position;
  return r.position;
}

/** A user with a session and `images` analysed images; returns the image ids. */
async function userWithImages(images: number, opts: { deleteOne?: boolean } = {}): Promise<string[]> {
  const userId = randomUUID();
  await store.dataKeys!.ensureKey({ purpose: 'profile', subjectId: userId });
  await append(`user-${userId}`, [
    { type: 'UserRegistered', data: { userId, email: `${userId}@example.com`, displayName: 'U', passwordHash: 'x', role: 'user' } },
    { type: 'UserRoleChanged', data: { role: 'auditor', previousRole: 'user' } },
  ]);
  await append(`session-${randomUUID()}`, [
    { type: 'SessionStarted', data: { userId, tokenId: randomUUID(), expiresAt: new Date(Date.now() + 86_400_000).toISOString() } },
    { type: 'RefreshTokenRotated', data: { fromTokenId: randomUUID(), toTokenId: randomUUID(), expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString() } },
  ]);
  const ids: string[] = [];
  for (let i = 0; i < images; i++) {
    const imageId = randomUUID();
    const uploadId = randomUUID();
    for (const purpose of ['content', 'face_analysis'] as const) await store.dataKeys!.ensureKey({ purpose, subjectId: userId, imageId });
    await append(`image-${imageId}`, [
      { id: uploadId, type: 'ImageUploaded', data: { imageId, ownerId: userId, filename: `p${i}.jpg`, contentType: 'image/jpeg', bytes: 1000 + i, width: 640, height: 480, sha256: 'cd'.repeat(32) } },
      // faceCount as the decider records it (sealed faces have no length the images projection could read).
      { type: 'ImageAnalyzed', data: { requestId: uploadId, model, faces: Array.from({ length: 1 + (i % 3) }, (_, k) => face(i * 10 + k)), faceCount: 1 + (i % 3), durationMs: 12.4 } },
    ]);
    ids.push(imageId);
  }
  if (opts.deleteOne && ids[0]) await append(`image-${ids[0]}`, [{ type: 'ImageDeleted', data: { reason: 'user' } }]);
  return ids;
}

function context(): CliContext & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { pool: db.pool, store, out: (l) => stdout.push(l), err: (l) => stderr.push(l), stdout, stderr };
}

async function caughtUp(): Promise<void> {
  expect(await waiter.waitFor(NAMES, last, 20_000)).toBe(true);
}

beforeAll(async () => {
  db = await createTestDatabase('rebuild');
  bare = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 50 });
  keys = new KeyStore(db.pool, parseKekFile(JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), 'test KEK', 'file'), { cacheEntries: 1_000, cacheTtlMs: 60_000 });
  store = sealEventStore(bare, keys, personalDataRegistry(...personalData));
  waiter = new CheckpointWaiter(db.pool, db.url);
  for (let u = 0; u < 8; u++) await userWithImages(6, { deleteOne: u % 2 === 0 });
  runners = projections.map((p) => new ProjectorRunner(db.url, store, p, testLogger, { batchSize: 20, idleCheckpointMs: 30 }).start());
  await caughtUp();
});

afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  await waiter.close();
  await store.close();
  await keys.close();
  await db.drop();
});

describe('projections:rebuild / verify / status', () => {
  it('rebuilds all while events are appended and readers query: no read error, verify passes after', async () => {
    let stop = false;
    let reads = 0;
    let rounds = 0;
    const readErrors: unknown[] = [];
    const traffic = (async () => {
      while (!stop) {
        await userWithImages(2);
        rounds++;
      }
    })();
    const readers = Array.from({ length: 3 }, async () => {
      while (!stop) {
        try {
          await db.pool.query(
            `select i.image_id, coalesce(jsonb_array_length(f.faces), 0) from rm.images i left join rm.faces f using (image_id)
              where i.deleted_at is null order by i.image_id limit 20`,
          );
          await db.pool.query('select count(*) from rm.users u join rm.sessions s using (user_id)');
          await db.pool.query('select sum(uploads) from rm.daily_stats');
          reads++;
        } catch (err) {
          readErrors.push(err);
        }
      }
    });
    await until(() => reads >= 3 && rounds >= 2, 'traffic and readers running');
    const ctx = context();
    const code = await rebuildCommand(['all', '--batch-size', '40'], ctx);
    const roundsAtSwap = rounds;
    await until(() => rounds >= roundsAtSwap + 2 && reads >= 10, 'traffic and reads after the swap');
    stop = true;
    await Promise.all([traffic, ...readers]);
    expect(code).toBe(0);
    expect(ctx.stdout.join('\n')).toContain('rebuilt users, sessions, images');
    expect(readErrors).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    expect(runners.every((r) => r.status === 'active')).toBe(true);
    await caughtUp();

    const { rows } = await db.pool.query<{ n: string }>(`select count(*)::text as n from pg_namespace where nspname like 'rm\\_%'`);
    expect(rows[0]!.n).toBe('0'); // scratch and retired schemas are gone

    const verify = context();
    expect(await verifyCommand(['all'], verify)).toBe(0);
    const out = verify.stdout.join('\n');
    for (const table of ['rm.users', 'rm.sessions', 'rm.images', 'rm.faces', 'rm.daily_stats']) expect(out).toMatch(new RegExp(`^ok ${table.replace('.', '\\.')} rows=\\d+`, 'm'));
    // The face index too, its sealed descriptors byte for byte (synthetic IVs: src/privacy/sealed-copies.ts).
    const faces = await db.pool.query<{ n: string }>('select count(*)::text as n from rm.face_index');
    expect(Number(faces.rows[0]!.n)).toBeGreaterThan(50);
    expect(out).toMatch(new RegExp(`^ok rm\\.face_index rows=${faces.rows[0]!.n} `, 'm'));
  });

  it('verify fails on a tampered live row, naming the table and showing the row; a rebuild repairs it', async () => {
    await caughtUp();
    const { rows } = await db.pool.query<{ image_id: string }>('select image_id from rm.images where deleted_at is null order by image_id limit 1');
    const imageId = rows[0]!.image_id;
    // by value instead of the reference to its upload (migration 0015): a row a rebuild would not write
    await db.pool.query(`update rm.images set filename = 'tampered.jpg', filename_event = null where image_id = $1`, [imageId]);
    const ctx = context();
    expect(await verifyCommand(['images'], ctx)).toBe(1);
    const out = ctx.stdout.join('\n');
    expect(out).toMatch(/^DIFF rm\.images /m);
    expect(out).toContain(imageId);
    expect(out).toContain('tampered.jpg');
    expect(out).toMatch(/^ok rm\.faces /m);

    expect(await rebuildCommand(['images'], context())).toBe(0);
    expect(await verifyCommand(['images'], context())).toBe(0);
  });

  it('--to <cursor> builds the read model as it was then, in a schema named for the cursor, without swapping', async () => {
    const [imageId] = await userWithImages(1);
    const before = last;
    await append(`image-${imageId!}`, [{ type: 'ImageDeleted', data: { reason: 'user' } }]);
    await caughtUp();
    const live = await db.pool.query<{ deleted: boolean; faces: string }>(
      `select deleted_at is not null as deleted, (select count(*) from rm.faces where image_id = $1)::text as faces from rm.images where image_id = $1`,
      [imageId],
    );
    expect(live.rows[0]).toEqual({ deleted: true, faces: '0' });

    const ctx = context();
    expect(await rebuildCommand(['all', '--to', positionToCursor(before)], ctx)).toBe(0);
    const schema = ctx.stdout.at(-1)!;
    expect(schema).toBe(`rm_at_${before.commit}_${before.prepare}`);
    const past = await db.pool.query<{ deleted: boolean; faces: string; filename_sealed: boolean }>(
      // the filename by reference to its upload (migration 0015), sealed there
      `select deleted_at is not null as deleted, (select (e.data -> 'filename') ? '$sealed' from es.events e where e.id = i.filename_event) as filename_sealed,
              (select count(*) from ${schema}.faces where image_id = $1)::text as faces
         from ${schema}.images i where image_id = $1`,
      [imageId],
    );
    expect(past.rows[0]).toEqual({ deleted: false, faces: '1', filename_sealed: true });
    await db.pool.query(`drop schema ${schema} cascade`);
  });

  it('status lists every consumer with its checkpoint, lag and lock holder', async () => {
    await caughtUp();
    const ctx = context();
    expect(await statusCommand([], ctx)).toBe(0);
    const out = ctx.stdout.join('\n');
    expect(out).toMatch(/^consumer\s+checkpoint\s+applied\s+lag events\s+lag s/m);
    for (const name of NAMES) expect(out).toMatch(new RegExp(`^${name}\\s+\\d+-\\d+\\s+\\d+\\s+0\\s+0\\.0\\s+\\S+\\s+facetrail-projector-${name} on \\S+ pid ${process.pid} \\(backend \\d+`, 'm'));
  });
});
