// A re-analysis is a new collection of biometric data: it needs the owner's face_analysis consent
// in force, and after a withdrawal (which shreds the image's face_analysis key) and a new consent
// the image gets a fresh key, so the new analysis is recorded and readable.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/types.js';
import { take } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consentOverHttp, registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp('consent_reanalysis', {}, {}, { workers: true });
}, 120_000);
afterAll(async () => {
  await t.stop();
});

async function nextResult(imageId: string, from: RecordedEvent['position'] | 'start'): Promise<RecordedEvent> {
  const sub = t.runtime.eventStore.subscribe({ from, filter: { streamPrefixes: [`image-${imageId}`], eventTypes: ['ImageAnalyzed', 'ImageAnalysisFailed'] } });
  try {
    return (await take(sub, 1, 120_000))[0]!;
  } finally {
    await sub.close();
  }
}

describe('re-analysis and consent', () => {
  it('is refused while consent is withdrawn, and records a readable analysis once it is given again', { timeout: 240_000 }, async () => {
    const user = await registerConsenting(t.baseUrl, { email: 'reanalyse@example.org', password: 'a long enough password' });
    const f = new FormData();
    f.append('file', new Blob([await readSample(2)], { type: 'image/jpeg' }), 'two.jpg');
    const up = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: f });
    expect(up.status).toBe(202);
    const { imageId } = (await up.json()) as { imageId: string };
    const first = await nextResult(imageId, 'start');
    expect(first.type).toBe('ImageAnalyzed');

    const withdrawn = await call(t.baseUrl, 'DELETE', '/v1/me/consents/face_analysis', { token: user.token });
    expect(withdrawn.status).toBeLessThan(300);
    const refused = await call<{ code: string }>(t.baseUrl, 'POST', `/v1/images/${imageId}/reanalyze`, { token: user.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('consent_required');

    await consentOverHttp(t.baseUrl, user.token);
    const again = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${imageId}/reanalyze`, { token: user.token });
    expect(again.status).toBe(202);
    const second = await nextResult(imageId, first.position);
    expect(second.type).toBe('ImageAnalyzed');
    expect(Array.isArray((second.data as { faces: unknown }).faces)).toBe(true); // opened: sealed under the new key
    const img = await call<{ faces: unknown[] }>(t.baseUrl, 'GET', `/v1/images/${imageId}?consistentWith=${second.position.commit}-${second.position.prepare}`, { token: user.token });
    expect(img.status).toBe(200);
    expect(img.body.faces.length).toBeGreaterThan(0);
  });
});
