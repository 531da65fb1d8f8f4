// The tfjs implementation is the reference: run face-api (tfjs-wasm) and the ONNX pipeline on the
// same decoded pixels of all six face-api samples and bound the differences.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { decodeImage } from '../../../src/inference/decode-image.js';
import { descriptorDistance } from '../../../src/inference/descriptor.js';
import type { DetectorName, Face, RgbImage } from '../../../src/inference/types.js';
import { type FaceApi, loadFaceApi, referenceAnalyze } from '../../../support/face-api-reference.js';
import { SAMPLES } from '../../../support/sample-photos.js';

let api: FaceApi;
let analyzer: FaceAnalyzer;
const images = new Map<string, RgbImage>();

beforeAll(async () => {
  [api, analyzer] = await Promise.all([loadFaceApi(), FaceAnalyzer.create()]);
  for (const file of SAMPLES) images.set(file, await decodeImage(await readFile(file)));
});
afterAll(async () => {
  await analyzer.close();
});

function maxBoxDiff(a: Face, b: Face): number {
  return Math.max(Math.abs(a.box.x - b.box.x), Math.abs(a.box.y - b.box.y), Math.abs(a.box.width - b.box.width), Math.abs(a.box.height - b.box.height));
}

function maxLandmarkDiff(a: Face, b: Face): number {
  return Math.max(...a.landmarks.map(([x, y], i) => Math.hypot(x - b.landmarks[i]![0], y - b.landmarks[i]![1])));
}

const totals: Record<DetectorName, number> = { ssd: 0, tiny: 0 };

describe.each(['ssd', 'tiny'] as const)('%s pipeline vs face-api on tfjs-wasm', (detector) => {
  it.each(SAMPLES.map((f) => [path.basename(f), f]))('%s', async (_name, file) => {
    const img = images.get(file)!;
    const [ours, ref] = [await analyzer.analyzeDecoded(img, { detector }), await referenceAnalyze(api, img, detector)];
    expect(ours.width).toBe(img.width);
    expect(ours.faces.length).toBe(ref.length);
    totals[detector] += ref.length;
    ours.faces.forEach((face, i) => {
      const r = ref[i]!;
      expect(face.landmarks).toHaveLength(68);
      expect(face.descriptor).toHaveLength(128);
      expect(Math.abs(face.score - r.score)).toBeLessThan(1e-3);
      expect(maxBoxDiff(face, r)).toBeLessThan(1);
      expect(maxLandmarkDiff(face, r)).toBeLessThan(0.5);
      expect(descriptorDistance(face.descriptor, r.descriptor)).toBeLessThan(0.01);
    });
  });

  it('found faces in the samples', () => {
    // The SSD finds all 22 faces of the six samples at the default 0.5 threshold.
    if (detector === 'ssd') expect(totals.ssd).toBe(22);
    else expect(totals.tiny).toBeGreaterThan(10);
  });
});
