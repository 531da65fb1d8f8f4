// Retention (issue 15 item 6): with BIOMETRIC_RETENTION_DAYS=0 and a fixed clock, the scheduled
// task asks for the erasure (reason 'retention') of exactly the images whose owner last interacted
// with them before the clock — once, with two instances running it at the same time and again
// afterwards; an executed erasure takes the image out of the selection.

import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/blobs/blob-store.js';
import { ImageService } from '../../../src/commands/images/image-service.js';
import { createPool } from '../../../src/db/pool.js';
import { personalData } from '../../../src/domain/personal-data.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore } from '../../../src/eventstore/types.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { personalDataRegistry, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { executingErasureService } from '../../../src/workers/privacy/erasure-executor.js';
import { erasureServiceEraser, runBiometricRetention, type RetentionDeps } from '../../../src/workers/privacy/biometric-retention.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { consentingOwner } from '../../support/consent.js';

const kek = parseKekFile(JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), 'test KEK', 'file');
const model = { name: 'test-model', version: '1', sha256: 'b'.repeat(64) };
const face = { box: { x: 1, y: 2, width: 30, height: 40 }, score: 0.9, landmarks: Array.from({ length: 68 }, (_, i) => [i, i + 0.5] as [number, number]), descriptor: Array.from({ length: 128 }, (_, i) => i / 1000) };

/** One process: its own pool, key store, sealing store and erasure service. */
interface Instance {
  pool: pg.Pool;
  keys: KeyStore;
  store: EventStore;
  deps: RetentionDeps;
  close(): Promise<void>;
}

let db: TestDatabase;
let a: Instance;
let b: Instance;
let images: ImageService;
let cutoff: Date;
const ids: Record<'expiredA' | 'expiredD' | 'reanalysedB' | 'recentC', string> = { expiredA: '', expiredD: '', reanalysedB: '', recentC: '' };
const system = (id: string) => ({ actor: { id, kind: 'system' as const }, correlationId: randomUUID() });

function instance(pool: pg.Pool, now: () => Date): Instance {
  const keys = new KeyStore(pool, kek, { cacheEntries: 100, cacheTtlMs: 60_000 });
  const bare = new PostgresEventStore(pool, { url: db.url, pollIntervalMs: 200 });
  const store = sealEventStore(bare, keys, personalDataRegistry(...personalData));
  const service = executingErasureService({ store, keys, pool, blobs: new BlobStore(pool) });
  return {
    pool,
    keys,
    store,
    deps: { pool, store, eraser: erasureServiceEraser(service, store), retentionDays: 0, now },
    async close() {
      await bare.close();
      await keys.close();
    },
  };
}

async function upload(store: EventStore, ownerId: string, name: string): Promise<string> {
  const { imageId } = await new ImageService(store, new BlobStore(db.pool)).upload({ ownerId, filename: name, contentType: 'image/jpeg', data: randomBytes(64), width: 8, height: 8 }, { actor: { id: ownerId, kind: 'user', role: 'user' }, correlationId: randomUUID() });
  return imageId;
}

async function analyse(imageId: string): Promise<void> {
  let requestId = '';
  for await (const e of a.store.readStream(`image-${imageId}`)) if (e.type === 'ImageUploaded' || e.type === 'ImageAnalysisRequested') requestId = e.id;
  await images.recordAnalysis(imageId, { requestId, model, faces: [face], durationMs: 5 }, system('analysis-worker'));
}

/** Every erasure requested, from the table (a subscription-style read waits for older transactions of the whole cluster). */
async function retentionRequests(): Promise<{ imageId: string; reason: string; erasureId: string }[]> {
  const { rows } = await db.pool.query<{ data: { erasureId: string; reason: string; target: { imageId?: string } } }>(`select data from es.events where type = 'ErasureRequested'`);
  return rows.map(({ data: d }) => ({ imageId: d.target.imageId!, reason: d.reason, erasureId: d.erasureId })).sort((x, y) => x.imageId.localeCompare(y.imageId));
}

beforeAll(async () => {
  db = await createTestDatabase('h15c_retention');
  let fixed = new Date(0);
  a = instance(db.pool, () => fixed);
  b = instance(createPool(db.url, { max: 4 }), () => fixed);
  images = new ImageService(a.store, new BlobStore(db.pool));
  // Owners with face_analysis consent (their profile key first, as registration makes it).
  const owner = async () => {
    const id = randomUUID();
    await a.keys.ensureKey({ purpose: 'profile', subjectId: id });
    return consentingOwner(a.store, id);
  };
  const alice = await owner();
  const bob = await owner();
  ids.expiredA = await upload(a.store, alice, 'a.jpg');
  ids.reanalysedB = await upload(a.store, alice, 'b.jpg');
  ids.expiredD = await upload(a.store, bob, 'd.jpg');
  for (const id of [ids.expiredA, ids.reanalysedB, ids.expiredD]) await analyse(id);
  // The clock of both instances: after these, before what follows (the database's clock, as the events').
  fixed = (await db.pool.query<{ t: Date }>('select clock_timestamp() as t')).rows[0]!.t;
  cutoff = fixed;
  // Alice asks for B's re-analysis: an interaction, B is kept. A scheduler's re-analysis of D is not hers: D expires.
  await images.requestAnalysis(ids.reanalysedB, model, 'user_request', { actor: { id: alice, kind: 'user', role: 'user' }, correlationId: randomUUID() });
  await images.requestAnalysis(ids.expiredD, model, 'stale_model', system('reanalyze-stale'));
  ids.recentC = await upload(a.store, bob, 'c.jpg');
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await b?.pool.end();
  await db?.drop();
});

describe('biometric retention', () => {
  it('requests the erasure of exactly the expired images, once, across two instances', async () => {
    const [first, second] = await Promise.all([runBiometricRetention(a.deps), runBiometricRetention(b.deps)]);
    // Either both ran one after the other, or one found the other running.
    expect(first.requested + second.requested).toBeGreaterThanOrEqual(2);
    const expected = [ids.expiredA, ids.expiredD].sort();
    let requests = await retentionRequests();
    expect(requests.map((r) => r.imageId)).toEqual(expected);
    expect(requests.every((r) => r.reason === 'retention')).toBe(true);
    expect(cutoff.getTime()).toBeGreaterThan(0);

    // Again, from both: nothing new is recorded.
    await runBiometricRetention(b.deps);
    await runBiometricRetention(a.deps);
    requests = await retentionRequests();
    expect(requests.map((r) => r.imageId)).toEqual(expected);
    expect(new Set(requests.map((r) => r.erasureId)).size).toBe(2);
  });

  it('leaves an image alone once its erasure has run (its face_analysis key is shredded)', async () => {
    const service = executingErasureService({ store: a.store, keys: a.keys, pool: db.pool, blobs: new BlobStore(db.pool) });
    for (const r of await retentionRequests()) await service.execute(r.erasureId);
    const after = await runBiometricRetention(a.deps);
    expect(after).toMatchObject({ skipped: 0, examined: 1, requested: 0 }); // B only: key old, interaction recent
    expect((await retentionRequests()).length).toBe(2);
    // Only the biometric data went: the faces read as erased, the image and its filename stay.
    const events = [];
    for await (const e of a.store.readStream(`image-${ids.expiredA}`)) events.push(e);
    expect(events.map((e) => e.type)).toContain('ImageFacesErased');
    expect(events.map((e) => e.type)).not.toContain('ImageErased');
    expect(events.find((e) => e.type === 'ImageUploaded')!.data).toMatchObject({ filename: 'a.jpg' });
    expect(events.find((e) => e.type === 'ImageAnalyzed')!.data).toMatchObject({ faces: { $erased: true }, faceCount: 1 });
  });

  it('keeps everything with the default retention (1095 days)', async () => {
    const run = await runBiometricRetention({ ...a.deps, retentionDays: 1_095 });
    expect(run).toMatchObject({ skipped: 0, examined: 0, requested: 0 });
  });
});
