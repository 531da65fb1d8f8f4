// The images slice end to end over HTTP with the real models: upload the six sample photos, wait
// (on positions, not timers) until each is analysed, check the faces; reanalyse one, delete one;
// another user sees none of them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionToCursor } from '../../src/eventstore/position.js';
import type { RecordedEvent } from '../../src/eventstore/types.js';
import { take } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let alice: string;
let bob: string;
const password = 'a perfectly fine password';

interface FaceBody {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: [number, number][];
  descriptor?: number[];
}
interface ImageBody {
  imageId: string;
  status: string;
  faceCount: number;
  model: { name: string; version: string; sha256: string };
  faces: FaceBody[];
}

async function tokenFor(email: string): Promise<string> {
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  return token;
}

async function upload(bytes: Buffer, name: string): Promise<{ imageId: string; position: string }> {
  const f = new FormData();
  f.append('file', new Blob([bytes], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

/** Waits for `n` analysis results (ImageAnalyzed/Failed) among `imageIds`, via a subscription. */
async function results(from: RecordedEvent['position'] | 'start', imageIds: string[], n: number): Promise<RecordedEvent[]> {
  const sub = t.runtime.eventStore.subscribe({ from, filter: { streamPrefixes: imageIds.map((id) => `image-${id}`), eventTypes: ['ImageAnalyzed', 'ImageAnalysisFailed'] } });
  try {
    return await take(sub, n, 120_000);
  } finally {
    await sub.close();
  }
}

beforeAll(async () => {
  t = await startTestApp('images_flow', {}, {}, { workers: true });
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
}, 120_000);
afterAll(async () => {
  await t.stop();
});

describe('images end to end', () => {
  it('analyses the six samples (22 faces), reanalyses one, deletes one, and hides them from others', { timeout: 180_000 }, async () => {
    const uploads = [];
    for (let i = 1; i <= 6; i++) uploads.push(await upload(await readSample(i), `sample${i}.jpg`));
    const ids = uploads.map((u) => u.imageId);
    const done = await results('start', ids, 6);
    expect(done.every((e) => e.type === 'ImageAnalyzed')).toBe(true);
    const last = done.reduce((a, e) => (e.position.commit > a.commit || (e.position.commit === a.commit && e.position.prepare > a.prepare) ? e.position : a), done[0]!.position);
    const cursor = positionToCursor(last);

    let total = 0;
    for (const id of ids) {
      const img = await call<ImageBody>(t.baseUrl, 'GET', `/v1/images/${id}?consistentWith=${cursor}&include=descriptor`, { token: alice });
      expect(img.status).toBe(200);
      expect(img.body.status).toBe('analyzed');
      expect(img.body.model.name).toBe('facetrail-faces');
      expect(img.body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(img.body.faces).toHaveLength(img.body.faceCount);
      for (const face of img.body.faces) {
        expect(face.landmarks).toHaveLength(68);
        expect(face.descriptor).toHaveLength(128);
        const { x, y, width, height } = face.box;
        const gx = width * 0.25;
        const gy = height * 0.25;
        for (const [px, py] of face.landmarks) {
          expect(px).toBeGreaterThanOrEqual(x - gx);
          expect(px).toBeLessThanOrEqual(x + width + gx);
          expect(py).toBeGreaterThanOrEqual(y - gy);
          expect(py).toBeLessThanOrEqual(y + height + gy);
        }
      }
      total += img.body.faceCount;
    }
    expect(total).toBe(22);

    // Every result names its cause: the request's event id, and a worker actor.
    for (const e of done) {
      expect(e.metadata.actor).toMatchObject({ kind: 'worker' });
      expect(e.metadata.causationId).toBe((e.data as { requestId: string }).requestId);
    }

    const annotated = await fetch(`${t.baseUrl}/v1/images/${ids[0]!}/annotated`, { headers: { authorization: `Bearer ${alice}` } });
    expect(annotated.status).toBe(200);
    expect(annotated.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await annotated.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');

    // Reanalyse one: a new request, a new result.
    const re = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${ids[0]!}/reanalyze`, { token: alice });
    expect(re.status).toBe(202);
    const again = await results(last, [ids[0]!], 1);
    expect(again[0]!.type).toBe('ImageAnalyzed');
    const after = await call<ImageBody>(t.baseUrl, 'GET', `/v1/images/${ids[0]!}?consistentWith=${positionToCursor(again[0]!.position)}`, { token: alice });
    expect(after.body).toMatchObject({ status: 'analyzed', faceCount: 3 });

    // Delete one: gone from reads; Bob never saw any.
    const del = await call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${ids[1]!}`, { token: alice });
    expect(del.status).toBe(202);
    const list = await call<{ items: { imageId: string }[] }>(t.baseUrl, 'GET', `/v1/images?consistentWith=${del.body.position}`, { token: alice });
    expect(list.body.items.map((i) => i.imageId).sort()).toEqual(ids.filter((id) => id !== ids[1]).sort());
    for (const id of ids) expect((await call(t.baseUrl, 'GET', `/v1/images/${id}`, { token: bob })).status).toBe(404);
    expect((await call<{ items: unknown[] }>(t.baseUrl, 'GET', '/v1/images', { token: bob })).body.items).toEqual([]);

    const stats = await call<{ days: { uploads: number; analyses: number; faces: number; deletions: number }[] }>(t.baseUrl, 'GET', `/v1/stats?consistentWith=${del.body.position}`, { token: alice });
    expect(stats.body.days.at(-1)).toMatchObject({ uploads: 6, analyses: 7, faces: 25, deletions: 1 });
  });
});
