// Erasure on the read side (issue 15 items 4–5): after an erasure the read cache and the GraphQL
// response memo serve nothing of the erased image; a consent withdrawal erases the faces collected
// under it (ImageFacesErased: rm.faces gone, the image stays); time travel shows tombstones, never
// content; a rebuild after erasure equals the live read models (projections:verify).

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { cursorToPosition, positionToCursor } from '../../src/eventstore/position.js';
import type { Position, RecordedEvent } from '../../src/eventstore/types.js';
import { ErasureService, erasureIdFor } from '../../src/commands/privacy/erasure-service.js';
import { projections } from '../../src/projections/index.js';
import { verifyProjection } from '../../src/projections/rebuild.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { erasureExecutorConsumer, executingErasureService } from '../../src/workers/privacy/erasure-executor.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';

let t: TestApp;
let executor: ProjectorRunner;
let admin: string;
const password = 'a perfectly fine password';
const MARK = 0.314159265358;

async function streamEvents(stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of t.runtime.eventStore.readStream(stream)) out.push(e);
  return out;
}

async function upload(token: string, name: string): Promise<string> {
  const f = new FormData();
  f.append('file', new Blob([await readSample(2)], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return ((await res.json()) as { imageId: string }).imageId;
}

async function analyse(imageId: string): Promise<void> {
  const [uploaded] = await streamEvents(`image-${imageId}`);
  const position = await t.images.recordAnalysis(
    imageId,
    {
      requestId: uploaded!.id,
      model: { name: 'ssd-mobilenet-v1', version: 'test', sha256: 'e'.repeat(64) },
      faces: [{ box: { x: 3, y: 4, width: 30, height: 40 }, score: 0.97, landmarks: Array.from({ length: 68 }, (_, i) => [i, i + 1] as [number, number]), descriptor: [MARK, ...Array.from({ length: 127 }, () => 0.01)] }],
      durationMs: 4,
    },
    { actor: { id: 'worker', kind: 'worker' }, correlationId: randomUUID() },
  );
  await at(position!);
}

async function at(position: string | Position): Promise<void> {
  const p = typeof position === 'string' ? cursorToPosition(position) : position;
  expect(await t.runtime.checkpoints.waitFor(['users', 'images', 'sessions'], p, 15_000)).toBe(true);
}

/** Waits until the erasure is executed and the read models have its facts. */
async function erased(erasureId: string): Promise<void> {
  const api = new ErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, blobs: new BlobStore(t.runtime.pool), signer: t.runtime.tokens, checkpoints: t.runtime.checkpoints });
  const receipt = await api.awaitReceipt(erasureId, 15_000);
  expect(receipt).toBeDefined();
  let completed: Position | undefined;
  for await (const e of t.runtime.eventStore.readStream(`erasure-${erasureId}`)) completed = e.position;
  await at(completed!);
}

async function gql(token: string, imageId: string): Promise<string> {
  const res = await fetch(`${t.baseUrl}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query($id: ID!) { image(id: $id) { id filename faces { score descriptor } } }', variables: { id: imageId } }),
  });
  return res.text();
}

beforeAll(async () => {
  t = await startTestApp('erasure_read_side');
  const service = executingErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, pool: t.runtime.pool, blobs: new BlobStore(t.runtime.pool) });
  executor = new ProjectorRunner(t.runtime.config.databaseUrl, t.runtime.eventStore, erasureExecutorConsumer(t.runtime.eventStore, service), testLogger, { errorBackoffMs: 50 }).start();
  await new IdentityService(t.runtime.eventStore, t.runtime.tokens).register(
    { email: 'root-rs@example.com', password, displayName: 'Root', role: 'admin' },
    { correlationId: randomUUID(), actor: { id: 'cli', kind: 'system' } },
  );
  admin = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'root-rs@example.com', password } })).body.accessToken;
});

afterAll(async () => {
  await executor?.stop();
  await t?.stop();
});

describe('erasure on the read side', () => {
  it('the read cache and the GraphQL memo serve nothing of an erased image', async () => {
    const owner = await registerConsenting(t.baseUrl, { email: 'cache-rs@example.com', password });
    const imageId = await upload(owner.token, 'cached-private-name.jpg');
    await analyse(imageId);
    // Read twice each: the second answers come from the cache and the memo.
    for (let i = 0; i < 2; i++) {
      const rest = await call<{ filename: string }>(t.baseUrl, 'GET', `/v1/images/${imageId}?include=descriptor`, { token: owner.token });
      expect(rest.status).toBe(200);
      expect(rest.body.filename).toBe('cached-private-name.jpg');
      expect(await gql(owner.token, imageId)).toContain('cached-private-name');
      expect(await gql(admin, imageId)).toContain('0.3141592');
    }
    const gallery = await call<{ items: { imageId: string }[] }>(t.baseUrl, 'GET', '/v1/images', { token: owner.token });
    expect(gallery.body.items.map((i) => i.imageId)).toContain(imageId);

    const del = await call<{ receipt?: string; erasureId: string }>(t.baseUrl, 'DELETE', `/v1/images/${imageId}`, { token: owner.token });
    expect(del.status).toBe(202);
    expect(typeof del.body.receipt).toBe('string');
    await erased(del.body.erasureId);

    expect((await call(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token: owner.token })).status).toBe(404);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token: admin })).status).toBe(404);
    const afterOwner = await gql(owner.token, imageId);
    const afterAdmin = await gql(admin, imageId);
    expect(afterOwner).not.toContain('cached-private-name');
    expect(afterAdmin).not.toContain('0.3141592');
    expect(JSON.parse(afterAdmin)).toMatchObject({ data: { image: null } });
    const galleryAfter = await call<{ items: { imageId: string }[] }>(t.baseUrl, 'GET', '/v1/images', { token: owner.token });
    expect(galleryAfter.body.items.map((i) => i.imageId)).not.toContain(imageId);
    const all = await call<{ items: { imageId: string }[] }>(t.baseUrl, 'GET', '/v1/images', { token: admin });
    expect(all.body.items.map((i) => i.imageId)).not.toContain(imageId);
  });

  it('a consent withdrawal erases the faces collected under it; the image stays', async () => {
    const owner = await registerConsenting(t.baseUrl, { email: 'withdraw-rs@example.com', password });
    const imageId = await upload(owner.token, 'kept-image.jpg');
    await analyse(imageId);
    expect((await t.runtime.pool.query('select 1 from rm.faces where image_id = $1', [imageId])).rowCount).toBe(1);
    const beforeErasure = positionToCursor((await t.runtime.eventStore.headPosition())!);

    const withdrawn = await call(t.baseUrl, 'DELETE', '/v1/me/consents/face_analysis', { token: owner.token });
    expect(withdrawn.status).toBe(200);
    await erased(erasureIdFor({ scope: 'purpose', subjectId: owner.userId, purpose: 'face_analysis', withdrawal: 1 }));

    const image = await streamEvents(`image-${imageId}`);
    expect(image.filter((e) => e.type === 'ImageFacesErased')).toHaveLength(1);
    expect(image.find((e) => e.type === 'ImageAnalyzed')!.data).toMatchObject({ faces: { $erased: true }, faceCount: 1 });
    expect((await t.runtime.pool.query('select 1 from rm.faces where image_id = $1', [imageId])).rowCount).toBe(0);
    const now = await call<{ filename: string; faces: unknown[] }>(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token: owner.token });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ filename: 'kept-image.jpg', faces: [] });

    // Time travel to before the withdrawal: the image as it was, its faces a tombstone (none), never content.
    const then = await call(t.baseUrl, 'GET', `/v1/images/${imageId}?asOf=${beforeErasure}&include=descriptor`, { token: admin });
    expect(then.status).toBe(200);
    expect(JSON.stringify(then.body)).not.toContain('0.3141592');
    expect(then.body).toMatchObject({ faces: [] });
  });

  it('time travel shows an erased account as tombstones; a rebuild equals the live read models', async () => {
    const gone = await registerConsenting(t.baseUrl, { email: 'gone-rs@example.com', password, displayName: 'Gone Person' });
    const imageId = await upload(gone.token, 'gone-photo.jpg');
    await analyse(imageId);
    const before = positionToCursor((await t.runtime.eventStore.headPosition())!);
    const res = await call<{ status: string; erasureId: string }>(t.baseUrl, 'POST', `/v1/admin/users/${gone.userId}/erasure`, { token: admin });
    expect(res.body.status).toBe('completed');
    await erased(res.body.erasureId);

    const then = await call<{ email: string; displayName: string }>(t.baseUrl, 'GET', `/v1/users/${gone.userId}?asOf=${before}`, { token: admin });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ email: '[erased]', displayName: '[erased]' });
    expect(JSON.stringify(then.body)).not.toContain('gone-rs@example.com');
    // The image's history stays for the staff, as tombstones: the filename and faces read as erased.
    const imageThen = await call<{ filename: string; faces: unknown[]; faceCount: number }>(t.baseUrl, 'GET', `/v1/images/${imageId}?asOf=${before}&include=descriptor`, { token: admin });
    expect(imageThen.status).toBe(200);
    expect(imageThen.body).toMatchObject({ filename: '[erased]', faces: [], faceCount: 1 });
    expect(JSON.stringify(imageThen.body)).not.toContain('gone-photo');
    expect(JSON.stringify(imageThen.body)).not.toContain('0.3141592');
    // Now it is gone: 404 (read at the erasure's fact: an entry cached before it is not served then,
    // while its invalidation after the projector's commit may still be on its way).
    const erasedAt = positionToCursor((await streamEvents(`image-${imageId}`)).at(-1)!.position);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${imageId}?consistentWith=${erasedAt}`, { token: admin })).status).toBe(404);

    for (const p of projections.filter((x) => x.tables)) {
      const result = await verifyProjection({ pool: t.runtime.pool, store: t.runtime.eventStore }, p);
      expect({ projection: p.name, ok: result.ok, tables: result.ok ? [] : result.tables }).toEqual({ projection: p.name, ok: true, tables: [] });
    }
  });
});
