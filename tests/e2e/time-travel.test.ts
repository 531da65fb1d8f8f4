// Time travel (?asOf=) and traceability end to end, with real workers and models: one sample is
// uploaded, analysed, reanalysed and deleted; reads as of each step show what was true then.
// Then every event of a small flow is checked for who caused it and, for results, what caused it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { DEFAULT_MODELS_DIR } from '../../src/inference/conversion/model-files.js';
import { cursorToPosition, positionToCursor } from '../../src/eventstore/position.js';
import type { RecordedEvent } from '../../src/eventstore/types.js';
import { faceIdOf } from '../../src/domain/images/face-id.js';
import { collect, take } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
const password = 'a perfectly fine password';

interface Registered {
  userId: string;
  position: string;
  token: string;
}
interface FaceBody {
  faceId?: string;
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: [number, number][];
  descriptor?: number[];
}
interface ImageBody {
  imageId: string;
  ownerId: string;
  status: string;
  faceCount: number | null;
  model: { name: string; version: string; sha256: string } | null;
  faces: FaceBody[];
  asOf?: string;
  revision?: string;
  [key: string]: unknown;
}

async function registered(email: string): Promise<Registered> {
  const reg = await call<{ userId: string; position: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  expect(reg.status).toBe(201);
  const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } });
  return { ...reg.body, token: tok.body.accessToken };
}

/** Uploads as the holder of `token`, who consents to face_analysis first (their user stream's revisions move on). */
async function upload(token: string): Promise<{ imageId: string; position: string }> {
  await consentOverHttp(t.baseUrl, token);
  const f = new FormData();
  f.append('file', new Blob([await readSample(2)], { type: 'image/jpeg' }), 'sample2.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

/** The next analysis result of the image after `after` (a subscription, no timers). */
async function nextResult(imageId: string, after: string): Promise<RecordedEvent> {
  const sub = t.runtime.eventStore.subscribe({ from: cursorToPosition(after), filter: { streamPrefixes: [`image-${imageId}`], eventTypes: ['ImageAnalyzed', 'ImageAnalysisFailed'] } });
  try {
    const [result] = await take(sub, 1, 120_000);
    return result!;
  } finally {
    await sub.close();
  }
}

const imageAsOf = (token: string, imageId: string, asOf: string, extra = '') =>
  call<ImageBody>(t.baseUrl, 'GET', `/v1/images/${imageId}?asOf=${encodeURIComponent(asOf)}${extra}`, { token });

let admin: Registered;
let auditor: Registered;
let auditorPromotedAt: string;

beforeAll(async () => {
  t = await startTestApp('time_travel', {}, {}, { workers: true });
  const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
  const root = await identity.register({ email: 'root@example.com', password, displayName: 'Root', role: 'admin' }, { correlationId: 'test', actor: { id: 'cli', kind: 'system' } });
  const rootToken = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'root@example.com', password } })).body.accessToken;
  admin = { userId: root.userId, position: positionToCursor(root.position), token: rootToken };
  auditor = await registered('carol@example.com');
  const promoted = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/admin/users/${auditor.userId}/role`, { token: admin.token, body: { role: 'auditor' } });
  expect(promoted.status).toBe(200);
  auditorPromotedAt = promoted.body.position;
  // The guard reads the role from rm.users: wait until the promotion is there.
  expect((await call(t.baseUrl, 'GET', `/v1/me?consistentWith=${auditorPromotedAt}`, { token: auditor.token })).body).toMatchObject({ role: 'auditor' });
}, 120_000);
afterAll(async () => {
  await t.stop();
});

describe('time travel', () => {
  it('reads an image as of each step of its life, by position and by time', { timeout: 180_000 }, async () => {
    const alice = await registered('alice@example.com');
    const bob = await registered('bob@example.com');
    const up = await upload(alice.token);
    const id = up.imageId;
    const first = await nextResult(id, up.position);
    expect(first.type).toBe('ImageAnalyzed');
    const re = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${id}/reanalyze`, { token: alice.token });
    expect(re.status).toBe(202);
    const second = await nextResult(id, re.body.position);
    expect(second.type).toBe('ImageAnalyzed');
    const firstAt = positionToCursor(first.position);
    const secondAt = positionToCursor(second.position);

    // Before the upload: it did not exist.
    const before = await imageAsOf(alice.token, id, alice.position);
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ code: 'image_not_found' });

    // Right after the upload: pending, nothing analysed.
    const pending = await imageAsOf(alice.token, id, up.position);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ imageId: id, ownerId: alice.userId, status: 'pending', faceCount: null, model: null, error: null, analyzedAt: null, faces: [], asOf: up.position, revision: '0' });

    // After the first analysis: analysed, with faces (descriptors on request).
    const analysed = await imageAsOf(alice.token, id, firstAt, '&include=descriptor');
    expect(analysed.status).toBe(200);
    expect(analysed.body).toMatchObject({ status: 'analyzed', asOf: firstAt, revision: '1' });
    expect(analysed.body.model).toMatchObject({ name: 'facetrail-faces', sha256: (first.data as { model: { sha256: string } }).model.sha256 });
    expect(analysed.body.faceCount).toBeGreaterThan(0);
    expect(analysed.body.faces).toHaveLength(analysed.body.faceCount!);
    for (const f of analysed.body.faces) {
      expect(f.landmarks).toHaveLength(68);
      expect(f.descriptor).toHaveLength(128);
    }
    // Each face with its stable id (image, model, place in the analysis).
    const firstModel = (first.data as { model: { sha256: string } }).model.sha256;
    expect(analysed.body.faces).toEqual((first.data as { faces: FaceBody[] }).faces.map((f, i) => ({ faceId: faceIdOf(id, firstModel, i), ...f })));
    const withoutDescriptors = await imageAsOf(alice.token, id, firstAt);
    expect(withoutDescriptors.body.faces[0]).not.toHaveProperty('descriptor');

    // After the re-analysis request: pending again (the last analysis's faces stay, as in the current read).
    const again = await imageAsOf(alice.token, id, re.body.position);
    expect(again.body).toMatchObject({ status: 'pending', faceCount: analysed.body.faceCount, revision: '2' });

    // At the newest point, time travel and the current read agree.
    const latest = await imageAsOf(alice.token, id, secondAt);
    expect(latest.body).toMatchObject({ status: 'analyzed', revision: '3' });
    const current = await call<ImageBody>(t.baseUrl, 'GET', `/v1/images/${id}?consistentWith=${secondAt}`, { token: alice.token });
    const { asOf: _asOf, revision: _revision, ...latestView } = latest.body;
    expect(current.body).toEqual(latestView);
    // The re-analysis ran the same model: its faces keep their ids.
    expect(latest.body.faces.map((f) => f.faceId)).toEqual(analysed.body.faces.map((f) => f.faceId));

    // By time: the first result's own timestamp, in UTC and with an offset; a millisecond before the upload.
    const uploaded = (await collect(t.runtime.eventStore.readStream(`image-${id}`)))[0]!;
    const atFirst = first.recordedAt.toISOString();
    expect((await imageAsOf(alice.token, id, atFirst)).body).toMatchObject({ status: 'analyzed', revision: '1', asOf: atFirst });
    const inParis = new Date(first.recordedAt.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect((await imageAsOf(alice.token, id, inParis)).body).toMatchObject({ status: 'analyzed', revision: '1', asOf: inParis });
    expect((await imageAsOf(alice.token, id, new Date(uploaded.recordedAt.getTime() - 1).toISOString())).status).toBe(404);
    expect((await imageAsOf(alice.token, id, uploaded.recordedAt.toISOString())).body).toMatchObject({ status: 'pending', revision: '0' });

    // Anything else is refused.
    for (const bad of ['yesterday', '2025-02-30T00:00:00Z', '2025-01-01T00:00:00', '1-2-3', '']) {
      const res = await imageAsOf(alice.token, id, bad);
      expect(res.status, bad).toBe(400);
      expect(res.body, bad).toMatchObject({ code: 'invalid_as_of' });
    }

    // Another user sees nothing, then or now; an auditor and an admin see it.
    expect((await imageAsOf(bob.token, id, firstAt)).status).toBe(404);
    expect((await imageAsOf(auditor.token, id, firstAt)).body).toMatchObject({ status: 'analyzed', ownerId: alice.userId, revision: '1' });
    expect((await imageAsOf(admin.token, id, re.body.position)).body).toMatchObject({ status: 'pending', revision: '2' });

    // Deleted: gone for everyone as of the deletion; the owner no longer sees any of its past,
    // auditors and admins still see it as of before the deletion.
    const del = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${id}`, { token: alice.token });
    expect(del.status).toBe(202);
    for (const token of [alice.token, auditor.token, admin.token]) {
      const gone = await imageAsOf(token, id, del.body.position);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ code: 'image_not_found' });
    }
    expect((await imageAsOf(alice.token, id, firstAt)).status).toBe(404);
    expect((await imageAsOf(auditor.token, id, firstAt)).body).toMatchObject({ status: 'analyzed', revision: '1' });
    expect((await imageAsOf(auditor.token, id, up.position)).body).toMatchObject({ status: 'pending', faces: [], revision: '0' });
    expect((await imageAsOf(admin.token, id, secondAt)).body).toMatchObject({ status: 'analyzed', revision: '3' });
    expect((await call(t.baseUrl, 'GET', `/v1/images/${id}?consistentWith=${del.body.position}`, { token: auditor.token })).status).toBe(404);

    // An image that never existed.
    expect((await imageAsOf(admin.token, '00000000-0000-4000-8000-000000000000', secondAt)).status).toBe(404);
  });

  it('reads a user as of before and after a role change', async () => {
    const self = auditor;
    const before = await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${self.position}`, { token: self.token });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ userId: self.userId, email: 'carol@example.com', role: 'user', status: 'active', asOf: self.position, revision: '0' });
    expect(before.body).not.toHaveProperty('passwordHash');
    const after = await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${auditorPromotedAt}`, { token: self.token });
    expect(after.body).toMatchObject({ role: 'auditor', revision: '1', asOf: auditorPromotedAt });
    expect(after.body.updatedAt).not.toBe(before.body.updatedAt);

    // Without asOf: the read model, like /v1/me.
    const now = await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?consistentWith=${auditorPromotedAt}`, { token: self.token });
    expect(now.status).toBe(200);
    expect(now.body).toEqual((await call(t.baseUrl, 'GET', '/v1/me', { token: self.token })).body);
    expect(now.body).not.toHaveProperty('asOf');

    // Before registration: not there yet; by time as well.
    const registeredAt = (await collect(t.runtime.eventStore.readStream(`user-${self.userId}`)))[0]!.recordedAt;
    expect((await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${admin.position}`, { token: self.token })).status).toBe(404);
    expect((await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${new Date(registeredAt.getTime() - 1).toISOString()}`, { token: self.token })).status).toBe(404);
    expect((await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${registeredAt.toISOString()}`, { token: self.token })).body).toMatchObject({ role: 'user' });

    // Others: 404 (with or without asOf); auditors and admins see anyone.
    const dave = await registered('dave@example.com');
    for (const q of ['', `?asOf=${auditorPromotedAt}`]) {
      const res = await call(t.baseUrl, 'GET', `/v1/users/${self.userId}${q}`, { token: dave.token });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'user_not_found' });
    }
    expect((await call(t.baseUrl, 'GET', `/v1/users/${dave.userId}?asOf=${dave.position}`, { token: self.token })).body).toMatchObject({ email: 'dave@example.com', role: 'user' });
    expect((await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=${self.position}`, { token: admin.token })).body).toMatchObject({ role: 'user' });
    expect((await call(t.baseUrl, 'GET', `/v1/users/00000000-0000-4000-8000-000000000000`, { token: admin.token })).status).toBe(404);
    const bad = await call(t.baseUrl, 'GET', `/v1/users/${self.userId}?asOf=soon`, { token: self.token });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_as_of' });
  });
});

/** The digest the analyzer records for the SSD pipeline: the three model files it runs, by sha256. */
async function expectedModelSha256(): Promise<string> {
  const used = ['ssd_mobilenetv1', 'face_landmark_68', 'face_recognition'];
  const lines = await Promise.all(used.map(async (name) => `${name}.onnx ${createHash('sha256').update(await readFile(path.join(DEFAULT_MODELS_DIR, `${name}.onnx`))).digest('hex')}\n`));
  return createHash('sha256').update(lines.join('')).digest('hex');
}

describe('traceability', () => {
  it('every event names its actor; every result names the model files and the request that caused it', { timeout: 180_000 }, async () => {
    const erin = await registered('erin@example.com');
    const up = await upload(erin.token);
    const first = await nextResult(up.imageId, up.position);
    const re = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${up.imageId}/reanalyze`, { token: erin.token });
    await nextResult(up.imageId, re.body.position);
    const del = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${up.imageId}`, { token: erin.token });
    expect(del.status).toBe(202);
    expect(first.type).toBe('ImageAnalyzed');
    // readAll serves only what is below the gap-safe horizon: wait until a reader has seen the deletion.
    expect(await t.runtime.checkpoints.waitFor(['images'], cursorToPosition(del.body.position), 10_000)).toBe(true);

    // Every event in the log (this file's whole history) was caused by someone, for a reason.
    const all = await collect(t.runtime.eventStore.readAll());
    expect(all.length).toBeGreaterThan(10);
    for (const e of all) {
      const m = e.metadata;
      expect(['user', 'worker', 'system'], `${e.type} ${e.id}`).toContain(m.actor?.kind);
      expect(m.actor?.id, `${e.type} ${e.id}`).toMatch(/\S/);
      expect(typeof m.correlationId, `${e.type} ${e.id}`).toBe('string');
      expect(typeof m.causationId, `${e.type} ${e.id}`).toBe('string');
      expect(m.schemaVersion).toBe(1);
    }

    // The image's story: the requests are Erin's, the results a worker's.
    const stream = all.filter((e) => e.stream === `image-${up.imageId}`);
    // DELETE erases (issue 15): the erasure executor records ImageErased, caused by Erin's erasure request.
    expect(stream.map((e) => e.type)).toEqual(['ImageUploaded', 'ImageAnalyzed', 'ImageAnalysisRequested', 'ImageAnalyzed', 'ImageDeleted', 'ImageErased']);
    for (const e of stream.filter((x) => x.type !== 'ImageAnalyzed' && x.type !== 'ImageErased')) expect(e.metadata.actor).toEqual({ id: erin.userId, kind: 'user', role: 'user' });
    const erasedBy = stream.find((x) => x.type === 'ImageErased')!;
    expect(erasedBy.metadata.actor).toEqual({ id: 'erasure-executor', kind: 'system' });
    const request = all.find((x) => x.type === 'ErasureRequested' && x.id === erasedBy.metadata.causationId);
    expect(request?.metadata.actor).toEqual({ id: erin.userId, kind: 'user', role: 'user' });

    // Every analysis result in the log: the model files' sha256, caused by (and correlated with) its request.
    const sha256 = await expectedModelSha256();
    const results = all.filter((e) => e.type === 'ImageAnalyzed' || e.type === 'ImageAnalysisFailed');
    expect(results.length).toBeGreaterThanOrEqual(2);
    for (const r of results) {
      expect(r.type).toBe('ImageAnalyzed');
      const data = r.data as { requestId: string; model: { sha256: string } };
      expect(data.model.sha256).toBe(sha256);
      expect(r.metadata.actor).toMatchObject({ kind: 'worker', id: expect.stringMatching(/^worker:/) as unknown });
      expect(r.metadata.causationId).toBe(data.requestId);
      const request = all.find((e) => e.id === data.requestId);
      expect(request?.stream).toBe(r.stream);
      expect(['ImageUploaded', 'ImageAnalysisRequested']).toContain(request?.type);
      expect(request!.revision).toBeLessThan(r.revision);
      expect(r.metadata.correlationId).toBe(request!.metadata.correlationId);
    }
    // One result per request.
    const answered = results.map((r) => (r.data as { requestId: string }).requestId);
    expect(new Set(answered).size).toBe(answered.length);
  });
});
