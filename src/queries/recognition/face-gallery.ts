// One owner's faces of one model in memory, for search (issue 17): the float32 descriptors (what
// distances are computed on), their 8-bit copy for the coarse scan, and the squared norms. Exact
// answers: the scan (descriptor-scan.ts) picks the RERANK nearest candidates by its approximate
// distance, and those are ranked again on float32 — the ten nearest of 100 000 faces are all among
// the scan's hundred nearest (bench search measures the recall against a full float scan). A
// gallery of at most RERANK faces is ranked on float32 directly.

import { keyBase, quantiseGalleryValue, quantiseQueryInto, SCAN_DIMENSIONS, type DescriptorScan } from '../../inference/descriptor-scan.js';

const D = SCAN_DIMENSIONS;
/** Candidates the float32 ranking looks at (at least 10 per requested match). */
export const RERANK = 100;
/** Queries one scan takes at once (an automatic assignment's batch of new faces). */
const SCAN_BATCH = 64;

export interface GalleryMatch {
  faceId: string;
  imageId: string;
  distance: number;
}

export class FaceGallery {
  private faceIds: string[] = [];
  private imageIds: string[] = [];
  private readonly slots = new Map<string, number>();
  private values = new Float32Array(0);
  /** The 8-bit copy, one column per face: [128, capacity]. */
  private columns = new Int8Array(0);
  /** Per face: |x|² + Σ g / 256 (keyBase); +∞ for unused columns. */
  private base = new Float32Array(0);
  private capacity = 0;

  constructor(readonly modelSha256: string) {}

  get size(): number {
    return this.faceIds.length;
  }

  /** Bytes held per face by the arrays (descriptors, their 8-bit copy, key base; ids not counted). */
  static readonly BYTES_PER_FACE = D * 4 + D + 4;

  add(faceId: string, imageId: string, descriptor: Float32Array): void {
    if (this.slots.has(faceId)) return;
    const slot = this.faceIds.length;
    if (slot === this.capacity) this.grow(Math.max(1024, Math.ceil(slot * 1.25)));
    this.values.set(descriptor.subarray(0, D), slot * D);
    let norm = 0;
    let sum = 0;
    for (let i = 0; i < D; i++) {
      const x = this.values[slot * D + i]!;
      norm += x * x;
      const g = quantiseGalleryValue(x);
      this.columns[i * this.capacity + slot] = g;
      sum += g;
    }
    this.base[slot] = keyBase(norm, sum);
    this.faceIds.push(faceId);
    this.imageIds.push(imageId);
    this.slots.set(faceId, slot);
  }

  /** Room for `capacity` faces; the columns laid out again (unused ones are zero: the scan's products for them are ignored). */
  private grow(capacity: number): void {
    const values = new Float32Array(capacity * D);
    values.set(this.values);
    const columns = new Int8Array(capacity * D);
    const n = this.faceIds.length;
    for (let i = 0; i < D; i++) columns.set(this.columns.subarray(i * this.capacity, i * this.capacity + n), i * capacity);
    const base = new Float32Array(capacity).fill(Infinity); // unused columns: never candidates
    base.set(this.base);
    this.values = values;
    this.columns = columns;
    this.base = base;
    this.capacity = capacity;
  }

  /** The face's descriptor (a copy) and image, or undefined when it is not in this gallery. */
  face(faceId: string): { imageId: string; descriptor: Float32Array } | undefined {
    const slot = this.slots.get(faceId);
    if (slot === undefined) return undefined;
    return { imageId: this.imageIds[slot]!, descriptor: this.values.slice(slot * D, slot * D + D) };
  }

  /**
   * The `k` nearest faces (Euclidean, exact on float32), nearest first; `exclude` is left out. With
   * several query descriptors of one face (a photo and its mirror image), a face's distance is the
   * least of its distances to them: the k nearest by that are among the k nearest to each query
   * (a face nearer to its best query than f is nearer than f by the least too).
   */
  async nearest(scan: DescriptorScan, queries: readonly Float32Array[], k: number, exclude?: string): Promise<GalleryMatch[]> {
    const best = new Map<string, GalleryMatch>();
    for (const matches of await this.nearestEach(scan, queries, k, exclude)) {
      for (const m of matches) {
        const seen = best.get(m.faceId);
        if (!seen || m.distance < seen.distance) best.set(m.faceId, m);
      }
    }
    return [...best.values()].sort(byDistance).slice(0, k);
  }

  /** The `k` nearest faces to each query, nearest first; one scan per SCAN_BATCH queries. */
  async nearestEach(scan: DescriptorScan, queries: readonly Float32Array[], k: number, exclude?: string): Promise<GalleryMatch[][]> {
    const n = this.size;
    const wanted = Math.min(n, Math.max(RERANK, k * 10));
    const out: GalleryMatch[][] = [];
    if (n <= wanted) {
      const all = Int32Array.from({ length: n }, (_v, i) => i);
      for (const query of queries) out.push(this.ranked(all, query, k, exclude));
      return out;
    }
    const quantised = new Uint8Array(Math.min(SCAN_BATCH, queries.length) * D);
    for (let from = 0; from < queries.length; from += SCAN_BATCH) {
      const batch = queries.slice(from, from + SCAN_BATCH);
      for (const [b, query] of batch.entries()) quantiseQueryInto(query, quantised, b * D);
      const candidates = await scan.candidates(this.columns, this.base, this.capacity, quantised, batch.length, wanted);
      for (const [b, query] of batch.entries()) {
        const slots = new Int32Array(wanted);
        for (let j = 0; j < wanted; j++) slots[j] = Number(candidates[b * wanted + j]);
        out.push(this.ranked(slots, query, k, exclude));
      }
    }
    return out;
  }

  /** The candidates ranked on float32, the `k` nearest. */
  private ranked(candidates: ArrayLike<number>, query: Float32Array, k: number, exclude: string | undefined): GalleryMatch[] {
    const out: GalleryMatch[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const slot = candidates[c]!;
      const faceId = this.faceIds[slot]!;
      if (faceId === exclude) continue;
      out.push({ faceId, imageId: this.imageIds[slot]!, distance: distanceAt(this.values, slot * D, query) });
    }
    return out.sort(byDistance).slice(0, k);
  }
}

/** Nearest first; equal distances by face id, so answers do not depend on load order. */
const byDistance = (a: GalleryMatch, b: GalleryMatch) => a.distance - b.distance || (a.faceId < b.faceId ? -1 : a.faceId > b.faceId ? 1 : 0);

/** Euclidean distance between `values[offset…offset+128)` and `query`, summed in order in float64. */
export function distanceAt(values: Float32Array, offset: number, query: Float32Array): number {
  let s = 0;
  for (let i = 0; i < D; i++) {
    const d = values[offset + i]! - query[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}
