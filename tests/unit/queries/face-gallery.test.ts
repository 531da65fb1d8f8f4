// FaceGallery (issue 17): past RERANK faces the answer comes from the 8-bit scan's candidates
// ranked again on float32; it must equal an exact float32 scan — nearest first, exact distances —
// for single queries, for batches larger than one scan, with the query face left out, and across
// growth of the gallery (its columns laid out again).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescriptorScan } from '../../../src/inference/descriptor-scan.js';
import { distanceAt, FaceGallery, RERANK } from '../../../src/queries/recognition/face-gallery.js';

const D = 128;
let scan: DescriptorScan;

/** A seeded generator: the same faces every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/** Faces around `people` identities with about the spread of real descriptors (bench search measures it). */
function faces(count: number, people: number, seed: number): Float32Array[] {
  const r = random(seed);
  const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: people }, () => Float32Array.from({ length: D }, () => 0.045 * normal()));
  return Array.from({ length: count }, (_v, i) => Float32Array.from(centres[i % people]!, (c) => c + 0.015 * normal()));
}

function exact(all: readonly Float32Array[], query: Float32Array, k: number, exclude?: number): { faceId: string; distance: number }[] {
  const flat = new Float32Array(all.length * D);
  all.forEach((f, i) => flat.set(f, i * D));
  return all
    .map((_f, i) => ({ faceId: `face-${String(i).padStart(5, '0')}`, distance: distanceAt(flat, i * D, query) }))
    .filter((_m, i) => i !== exclude)
    .sort((a, b) => a.distance - b.distance || (a.faceId < b.faceId ? -1 : 1))
    .slice(0, k);
}

beforeAll(async () => {
  scan = await DescriptorScan.create();
});
afterAll(async () => {
  await scan.close();
});

describe('FaceGallery', () => {
  const all = faces(5_000, 400, 7);
  const gallery = new FaceGallery('model');
  for (const [i, f] of all.entries()) gallery.add(`face-${String(i).padStart(5, '0')}`, `image-${i >> 2}`, f);

  it('answers exactly what a float32 scan of every face answers, nearest first', async () => {
    expect(gallery.size).toBeGreaterThan(RERANK);
    const queries = faces(40, 400, 99);
    for (const q of queries) {
      const got = await gallery.nearest(scan, [q], 10);
      expect(got.map(({ faceId, distance }) => ({ faceId, distance }))).toEqual(exact(all, q, 10));
    }
  });

  it('answers a batch larger than one scan like each query alone, and leaves the excluded face out', async () => {
    const queries = all.slice(0, 150);
    const each = await gallery.nearestEach(scan, queries, 5, 'face-00003');
    expect(each).toHaveLength(150);
    for (const [i, q] of queries.entries()) {
      expect(each[i]!.map(({ faceId, distance }) => ({ faceId, distance }))).toEqual(exact(all, q, 5, 3));
    }
    expect(each[0]![0]).toMatchObject({ faceId: 'face-00000', distance: 0, imageId: 'image-0' });
  });

  it('stays exact while it grows (columns laid out again) and ignores a face added twice', async () => {
    const small = new FaceGallery('model');
    const added: Float32Array[] = [];
    for (const [i, f] of all.slice(0, 3_000).entries()) {
      small.add(`face-${String(i).padStart(5, '0')}`, 'image', f);
      added.push(f);
      if (i === 500 || i === 1_500 || i === 2_999) {
        const q = all[i]!;
        expect((await small.nearest(scan, [q], 10)).map((m) => m.faceId)).toEqual(exact(added, q, 10).map((m) => m.faceId));
      }
    }
    small.add('face-00000', 'image', all[1]!);
    expect(small.size).toBe(3_000);
    expect(small.face('face-00000')!.descriptor).toEqual(all[0]);
  });

  it('takes the least distance over several descriptors of one face (a photo and its mirror image)', async () => {
    const [a, b] = [all[10]!, all[20]!];
    const both = await gallery.nearest(scan, [a, b], 3);
    expect(both.slice(0, 2).map((m) => [m.faceId, m.distance])).toEqual([
      ['face-00010', 0],
      ['face-00020', 0],
    ]);
  });
});
