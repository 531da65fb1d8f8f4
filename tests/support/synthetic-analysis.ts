// A photo uploaded over HTTP as its owner, then analysed with given faces recorded straight through
// the image service (as the analysis worker records them): for tests about what happens with
// faces (people, search, the access log), not about finding them.

import sharp from 'sharp';
import type { FaceRecord, ModelIdentity } from '../../src/domain/images/image-events.js';
import type { Position } from '../../src/eventstore/types.js';
import type { TestApp } from './app.js';

const worker = { correlationId: 'synthetic-analysis', actor: { id: 'analysis-worker', kind: 'system' as const } };

/** A face at `x` with a descriptor from `descriptor` (128 values). */
export function syntheticFace(x: number, descriptor: number[]): FaceRecord {
  return {
    box: { x, y: 4, width: 20, height: 20 },
    score: 0.9,
    landmarks: Array.from({ length: 68 }, (_, k) => [5 + (k % 20), 5 + (k % 15)] as [number, number]),
    descriptor,
  };
}

/** Uploads a plain photo as `token`'s user (distinct bytes per `seed`), records `faces` as its analysis by `model`. */
export async function uploadAnalysed(t: TestApp, token: string, seed: number, model: ModelIdentity, faces: FaceRecord[]): Promise<{ imageId: string; position: Position }> {
  const jpeg = await sharp({ create: { width: 64 + seed, height: 48, channels: 3, background: '#336699' } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), `p${seed}.jpg`);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  const { imageId } = (await res.json()) as { imageId: string };
  let requestId: string | undefined;
  for await (const e of t.runtime.eventStore.readStream(`image-${imageId}`)) requestId = e.id;
  const position = await t.images.recordAnalysis(imageId, { requestId: requestId!, model, faces, durationMs: 5 }, worker);
  if (!position) throw new Error(`the analysis of ${imageId} was not recorded`);
  return { imageId, position };
}
