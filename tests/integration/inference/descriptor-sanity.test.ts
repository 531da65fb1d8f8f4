// Descriptor sanity: the same face survives rescaling and re-encoding (distance < 0.6, face-api's
// usual match threshold) while different people in the samples are, in the median, farther apart.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalyzer } from '../../../src/inference/analyzer.js';
import { descriptorDistance } from '../../../src/inference/descriptor.js';
import type { AnalysisResult, Face } from '../../../src/inference/types.js';
import { SAMPLES } from '../../../support/sample-photos.js';

const THRESHOLD = 0.6;
let analyzer: FaceAnalyzer;
const results: AnalysisResult[] = [];

beforeAll(async () => {
  analyzer = await FaceAnalyzer.create();
  for (const f of SAMPLES) results.push(await analyzer.analyze(await readFile(f)));
});
afterAll(async () => {
  await analyzer.close();
});

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const centre = (f: Face, s = 1): [number, number] => [(f.box.x + f.box.width / 2) * s, (f.box.y + f.box.height / 2) * s];

/** The face of `faces` whose box centre is nearest to `target`'s (scaled by `scale`). */
function nearest(faces: Face[], target: Face, scale: number): Face {
  const [tx, ty] = centre(target);
  return faces.reduce((best, f) => {
    const d = (g: Face) => Math.hypot(centre(g, scale)[0] - tx, centre(g, scale)[1] - ty);
    return d(f) < d(best) ? f : best;
  });
}

describe('descriptor sanity', () => {
  it.each([
    ['half-size WebP', (img: sharp.Sharp) => img.resize({ width: 960 }).webp({ quality: 80 }), 2],
    ['JPEG quality 40', (img: sharp.Sharp) => img.jpeg({ quality: 40 }), 1],
    ['0.7× PNG', (img: sharp.Sharp) => img.resize({ width: 1344 }).png(), 1920 / 1344],
  ] as const)('same faces after %s are closer than 0.6', async (_name, transform, scale) => {
    const original = results[0]!;
    const copy = await analyzer.analyze(await transform(sharp(await readFile(SAMPLES[0]!))).toBuffer());
    expect(copy.faces.length).toBe(original.faces.length);
    for (const face of original.faces) {
      const match = nearest(copy.faces, face, scale);
      expect(descriptorDistance(face.descriptor, match.descriptor)).toBeLessThan(THRESHOLD);
    }
  });

  it('different people are farther apart than 0.6 in the median', () => {
    const withinPhoto: number[] = [];
    const all: number[] = [];
    const faces = results.flatMap((r, photo) => r.faces.map((f) => ({ photo, f })));
    for (let i = 0; i < faces.length; i++) {
      for (let j = i + 1; j < faces.length; j++) {
        const d = descriptorDistance(faces[i]!.f.descriptor, faces[j]!.f.descriptor);
        all.push(d);
        // Two faces in one photo are two different people.
        if (faces[i]!.photo === faces[j]!.photo) withinPhoto.push(d);
      }
    }
    expect(faces.length).toBe(22);
    expect(median(withinPhoto)).toBeGreaterThan(THRESHOLD);
    expect(median(all)).toBeGreaterThan(THRESHOLD);
  });
});
