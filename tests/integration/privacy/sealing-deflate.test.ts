// A large personal value (an analysis's faces) is deflated before it is sealed: its ciphertext is
// about half the JSON (ciphertext does not compress in the store's TOAST), it opens to the same
// value, and a value sealed before (not deflated) still opens.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalData } from '../../../src/domain/personal-data.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore } from '../../../src/eventstore/types.js';
import { seal } from '../../../src/privacy/aead.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { personalDataRegistry, sealedFieldAad, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

const kek = parseKekFile(JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), 'test KEK', 'file');
const f32 = new Float32Array(1);
const float32 = (v: number) => ((f32[0] = v), f32[0]);
const faces = Array.from({ length: 3 }, (_, i) => ({
  box: { x: 10.5 + i, y: 20.25, width: 100.125, height: 120.0625 },
  score: 0.9 - i / 100,
  landmarks: Array.from({ length: 68 }, (_, k) => [Math.sin(k + i) * 300 + 400, Math.cos(k * i) * 200 + 300] as [number, number]),
  descriptor: Array.from({ length: 128 }, (_, k) => float32(Math.sin(k * (i + 1)) / 4)),
}));
const model = { name: 'm', version: '1', sha256: 'c'.repeat(64) };

let db: TestDatabase;
let bare: PostgresEventStore;
let keys: KeyStore;
let sealed: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('h15c_sealing_deflate');
  bare = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 200 });
  keys = new KeyStore(db.pool, kek, { cacheEntries: 100, cacheTtlMs: 60_000 });
  sealed = sealEventStore(bare, keys, personalDataRegistry(...personalData));
});
afterAll(async () => {
  await bare?.close();
  await keys?.close();
  await db?.drop();
});

async function read(stream: string): Promise<unknown> {
  for await (const e of sealed.readStream(stream)) if (e.type === 'ImageAnalyzed') return (e.data as { faces: unknown }).faces;
  return undefined;
}

describe('sealing a large value', () => {
  it('deflates it before sealing: the ciphertext is well under the JSON, and it opens to the same value', async () => {
    const imageId = randomUUID();
    await keys.ensureKey({ purpose: 'face_analysis', subjectId: randomUUID(), imageId });
    await sealed.append(`image-${imageId}`, [{ type: 'ImageAnalyzed', data: { requestId: randomUUID(), model, faces, faceCount: 3, durationMs: 1 } }]);
    const { rows } = await db.pool.query<{ ct: string }>(`select data -> 'faces' -> '$sealed' ->> 'ct' as ct from es.events where stream = $1`, [`image-${imageId}`]);
    const ciphertextBytes = Buffer.from(rows[0]!.ct, 'base64url').length;
    const jsonBytes = Buffer.byteLength(JSON.stringify(faces));
    expect(ciphertextBytes).toBeLessThan(jsonBytes * 0.7);
    expect(await read(`image-${imageId}`)).toEqual(faces);
  });

  it('opens a value sealed without deflating (recorded before)', async () => {
    const imageId = randomUUID();
    await keys.ensureKey({ purpose: 'face_analysis', subjectId: randomUUID(), imageId });
    const { kid, key } = await keys.liveKey({ purpose: 'face_analysis', imageId });
    const id = randomUUID();
    const stream = `image-${imageId}`;
    const { iv, ct } = seal(key, Buffer.from(JSON.stringify(faces), 'utf8'), sealedFieldAad(stream, id, 'faces'));
    await bare.append(stream, [{ id, type: 'ImageAnalyzed', data: { requestId: randomUUID(), model, faces: { $sealed: { kid, iv: iv.toString('base64url'), ct: ct.toString('base64url') } }, faceCount: 3, durationMs: 1 } }]);
    expect(await read(stream)).toEqual(faces);
  });
});
