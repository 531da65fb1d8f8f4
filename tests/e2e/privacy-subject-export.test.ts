// GET /v1/me/export (issue 15 item 7): a user with two analysed images (one analysed twice) gets
// the account, consents, sessions, every image with every analysis and its faces (descriptors
// included), and the events of their streams, all opened; another user's data never appears; a
// shredded key reads as {"$erased": true} in the document.

import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions, positionToCursor } from '../../src/eventstore/position.js';
import type { Position } from '../../src/eventstore/types.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { executingErasureService } from '../../src/workers/privacy/erasure-executor.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';

let t: TestApp;
const password = 'a perfectly fine password';
const worker = { correlationId: 'subject-export-test', actor: { id: 'analysis-worker', kind: 'system' as const } };

interface Face {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: [number, number][];
  descriptor: number[];
}

/** Faces no other user has: every number is distinct per seed. */
function facesFor(seed: number, n: number): Face[] {
  return Array.from({ length: n }, (_, i) => ({
    box: { x: 10 + seed + i, y: 20 + i, width: 100 + seed, height: 120 + i },
    score: 0.9 - i / 100,
    landmarks: Array.from({ length: 68 }, (_, k) => [seed * 1000 + k + 0.25, seed * 1000 + k + 0.75] as [number, number]),
    descriptor: Array.from({ length: 128 }, (_, k) => Number((seed / 7 + k / 1_000 + i / 100_000 + 0.000123).toFixed(9))),
  }));
}

async function upload(token: string, name: string, color: string): Promise<string> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: color } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(202);
  return ((await res.json()) as { imageId: string }).imageId;
}

/** The id of the latest analysis request (the upload, or a re-analysis) of an image. */
async function lastRequestId(imageId: string): Promise<string> {
  let id: string | undefined;
  for await (const e of t.runtime.eventStore.readStream(`image-${imageId}`)) if (e.type === 'ImageUploaded' || e.type === 'ImageAnalysisRequested') id = e.id;
  return id!;
}

async function analyse(imageId: string, faces: Face[]): Promise<Position> {
  const position = await t.images.recordAnalysis(imageId, { requestId: await lastRequestId(imageId), model: { name: 'test-model', version: '1', sha256: 'a'.repeat(64) }, faces, durationMs: 7 }, worker);
  return position!;
}

const latest = (ps: Position[]) => ps.reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));

interface ExportDoc {
  format: string;
  subjectId: string;
  account: { userId: string; email: unknown; displayName: unknown; role: string; status: string; consents: { purpose: string; given: boolean; policyVersion: string }[] };
  sessions: { familyId: string; status: string }[];
  images: {
    imageId: string;
    filename: unknown;
    bytes: number;
    width: number;
    height: number;
    sha256: string;
    status: string;
    analyses: { requestId: string; faceCount: number; faces: unknown }[];
  }[];
  events: { stream: string; type: string; id: string; data: Record<string, unknown> }[];
}

async function exportOf(token: string, at: Position): Promise<{ text: string; doc: ExportDoc; headers: Headers }> {
  const res = await fetch(`${t.baseUrl}/v1/me/export?consistentWith=${positionToCursor(at)}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(200);
  return { text, doc: JSON.parse(text) as ExportDoc, headers: res.headers };
}

let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let aliceImages: string[];
let bobImage: string;
let head: Position;
const aliceFaces = { first: facesFor(1, 2), again: facesFor(2, 1), second: facesFor(3, 3) };
const bobFaces = facesFor(9, 2);

beforeAll(async () => {
  t = await startTestApp('h15c_subject_export');
  alice = await registerConsenting(t.baseUrl, { email: 'Alice.Export@example.com', password, displayName: 'Alice Export' });
  bob = await registerConsenting(t.baseUrl, { email: 'bob.export@example.com', password, displayName: 'Bob Export' });
  aliceImages = [await upload(alice.token, 'alice-one.jpg', '#336699'), await upload(alice.token, 'alice-two.jpg', '#996633')];
  bobImage = await upload(bob.token, 'bob-secret.jpg', '#123456');
  const positions = [await analyse(aliceImages[0]!, aliceFaces.first)];
  const re = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${aliceImages[0]}/reanalyze`, { token: alice.token });
  expect(re.status).toBe(202);
  positions.push(await analyse(aliceImages[0]!, aliceFaces.again), await analyse(aliceImages[1]!, aliceFaces.second), await analyse(bobImage, bobFaces));
  head = latest(positions);
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('GET /v1/me/export', () => {
  it('returns everything about the caller, opened, as a streamed download, and nothing of another user', async () => {
    const { text, doc, headers } = await exportOf(alice.token, head);
    expect(headers.get('content-disposition')).toMatch(/^attachment; filename="facetrail-export-[0-9a-f-]{36}-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('content-length')).toBeNull(); // streamed (chunked), not built whole first

    expect(doc.format).toBe('facetrail-subject-export/v1');
    expect(doc.subjectId).toBe(alice.userId);
    expect(doc.account).toMatchObject({ userId: alice.userId, email: 'alice.export@example.com', displayName: 'Alice Export', role: 'user', status: 'active' });
    expect(doc.account.consents).toEqual([expect.objectContaining({ purpose: 'face_analysis', given: true })]);
    expect(doc.sessions.length).toBeGreaterThanOrEqual(1);
    expect(doc.sessions.every((s) => s.status === 'active')).toBe(true);

    expect(doc.images.map((i) => i.imageId).sort()).toEqual([...aliceImages].sort());
    const one = doc.images.find((i) => i.imageId === aliceImages[0])!;
    const two = doc.images.find((i) => i.imageId === aliceImages[1])!;
    expect(one).toMatchObject({ filename: 'alice-one.jpg', width: 64, height: 48, status: 'analyzed' });
    expect(one.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(one.bytes).toBeGreaterThan(0);
    // Every analysis, with every face as recorded: boxes, 68 landmarks, 128-D descriptors.
    expect(one.analyses.map((a) => a.faces)).toEqual([aliceFaces.first, aliceFaces.again]);
    expect(two).toMatchObject({ filename: 'alice-two.jpg' });
    expect(two.analyses.map((a) => a.faces)).toEqual([aliceFaces.second]);

    // The caller's events: their user stream, session streams and image streams, opened.
    const streams = new Set(doc.events.map((e) => e.stream));
    expect(streams).toEqual(new Set([`user-${alice.userId}`, ...doc.sessions.map((s) => `session-${s.familyId}`), ...aliceImages.map((id) => `image-${id}`)]));
    expect(doc.events.find((e) => e.type === 'UserRegistered')!.data).toMatchObject({ email: 'alice.export@example.com', displayName: 'Alice Export' });
    expect(doc.events.filter((e) => e.type === 'ImageAnalyzed')).toHaveLength(3);
    expect(doc.events.filter((e) => e.type === 'ConsentGiven')).toHaveLength(1);
    expect(text).not.toContain('$sealed');

    // Nothing of Bob's: his e-mail, name, image, filename, or any of his face numbers.
    for (const needle of [bob.userId, 'bob.export@example.com', 'Bob Export', bobImage, 'bob-secret.jpg', String(bobFaces[0]!.descriptor[5]), String(bobFaces[1]!.landmarks[3]![0])]) {
      expect(text).not.toContain(needle);
    }
    // …and Bob's export holds his own, none of Alice's.
    const bobs = await exportOf(bob.token, head);
    expect(bobs.doc.images.map((i) => i.imageId)).toEqual([bobImage]);
    expect(bobs.doc.images[0]!.analyses[0]!.faces).toEqual(bobFaces);
    for (const needle of [alice.userId, 'alice.export@example.com', ...aliceImages, String(aliceFaces.second[2]!.descriptor[7])]) expect(bobs.text).not.toContain(needle);
  });

  it('shows a shredded key as the erasure mark, in the image and in the events', async () => {
    await t.runtime.privacy.keys.shred(randomUUID(), { imageId: aliceImages[1]! });
    const { text, doc } = await exportOf(alice.token, head);
    const two = doc.images.find((i) => i.imageId === aliceImages[1])!;
    expect(two.filename).toEqual({ $erased: true });
    expect(two.analyses.map((a) => a.faces)).toEqual([{ $erased: true }]);
    expect(two.analyses[0]!.faceCount).toBe(3); // facts in clear stay
    const events = doc.events.filter((e) => e.stream === `image-${aliceImages[1]}`);
    expect(events.find((e) => e.type === 'ImageAnalyzed')!.data.faces).toEqual({ $erased: true });
    expect(text).not.toContain(String(aliceFaces.second[0]!.descriptor[11]));
    // The other image is untouched.
    expect(doc.images.find((i) => i.imageId === aliceImages[0])!.analyses.map((a) => a.faces)).toEqual([aliceFaces.first, aliceFaces.again]);
  });

  it('keeps an erased image in the document as its facts, without its content', async () => {
    const third = await upload(alice.token, 'alice-three.jpg', '#669933');
    const analysed = await analyse(third, facesFor(4, 1));
    const del = await call<{ erasureId: string }>(t.baseUrl, 'DELETE', `/v1/images/${third}`, { token: alice.token });
    expect(del.status).toBeLessThan(300);
    // The worker role's erasure executor is not running here: execute it as it would.
    await executingErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, pool: t.runtime.pool, blobs: new BlobStore(t.runtime.pool) }).execute(del.body.erasureId);
    const { text, doc } = await exportOf(alice.token, latest([head, analysed]));
    const erased = doc.images.find((i) => i.imageId === third);
    expect(erased).toMatchObject({ erased: true, filename: { $erased: true } });
    expect(erased!.analyses.map((a) => a.faces)).toEqual([{ $erased: true }]);
    expect(doc.events.some((e) => e.stream === `image-${third}` && e.type === 'ImageErased')).toBe(true);
    expect(text).not.toContain('alice-three.jpg');
    expect(text).not.toContain(String(facesFor(4, 1)[0]!.descriptor[3]));
  });

  it('needs a token', async () => {
    expect((await call(t.baseUrl, 'GET', '/v1/me/export')).status).toBe(401);
  });
});
