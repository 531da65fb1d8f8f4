// The coarse pass of face search (issue 17): the inner product of one query descriptor with every
// descriptor of a gallery, in 8-bit integers on onnxruntime's integer GEMM (MatMulInteger: MLAS's
// vectorised u8×s8 kernels). A float32 gallery of 100 000 faces is 51 MB that every query must
// stream from memory (~9 ms here at best); its 8-bit copy is 12.8 MB (~2.3 ms). The scan only picks
// candidates: the caller ranks them again on the float32 values (face-gallery.ts), so the distances
// it answers are exact.
//
// Quantisation: one fixed step for every value (descriptors of the face_recognition model lie within
// ±0.45; a value beyond ±QUANT_RANGE is clamped, which only makes its candidate rank less exact).
// Gallery values are stored as uint8 with zero point 128, the query as int8, so
//   Σ u·q = 256·Σ x̂·ŷ + 128·Σ q    →    x̂·ŷ = (Σ u·q − 128·Σ q) / 256².

import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './conversion/onnx-builder.js';
import { DataType } from './conversion/onnx-proto.js';

export const SCAN_DIMENSIONS = 128;
const STEPS_PER_UNIT = 256;
/** Values quantise exactly within ±QUANT_RANGE. */
export const QUANT_RANGE = 127 / STEPS_PER_UNIT;

/** Writes the gallery (uint8, zero point 128) form of `values[from…from+128)` at `out[offset…]`. */
export function quantiseGalleryInto(values: Float32Array, from: number, out: Uint8Array, offset: number): void {
  for (let i = 0; i < SCAN_DIMENSIONS; i++) {
    const v = Math.round(values[from + i]! * STEPS_PER_UNIT) + 128;
    out[offset + i] = v < 1 ? 1 : v > 255 ? 255 : v;
  }
}

/** The query (int8) form of a descriptor, and the sum of its values the scan corrects by. */
export function quantiseQuery(values: Float32Array): { q: Int8Array; sum: number } {
  const q = new Int8Array(SCAN_DIMENSIONS);
  let sum = 0;
  for (let i = 0; i < SCAN_DIMENSIONS; i++) {
    const v = Math.round(values[i]! * STEPS_PER_UNIT);
    q[i] = v < -127 ? -127 : v > 127 ? 127 : v;
    sum += q[i]!;
  }
  return { q, sum };
}

/**
 * A scan's integer products (`columns` queries wide, row-major as the scan returns them) as
 * approximate squared distances without the query's own norm: `out[b][i]` = norms[i] − 2·x̂ᵢ·ŷ_b.
 * One pass over the rows in order (reading a column at a stride misses the cache on every row).
 */
export function approximateDistances(raw: Int32Array, norms: Float32Array, querySums: readonly number[], out: readonly Float32Array[]): void {
  const columns = querySums.length;
  const scale = 2 / (STEPS_PER_UNIT * STEPS_PER_UNIT);
  const offsets = querySums.map((s) => 128 * s);
  const n = out[0]?.length ?? 0;
  for (let i = 0, at = 0; i < n; i++) {
    const norm = norms[i]!;
    for (let b = 0; b < columns; b++, at++) out[b]![i] = norm - (raw[at]! - offsets[b]!) * scale;
  }
}

function scanModel(): Uint8Array {
  const b = new GraphBuilder('descriptor_scan');
  const gallery = b.input('gallery', ['n', SCAN_DIMENSIONS], DataType.UINT8);
  const query = b.input('query', [SCAN_DIMENSIONS, 'b'], DataType.INT8);
  b.output(b.op('MatMulInteger', [gallery, query], ['n', 'b'], {}, 'products', DataType.INT32));
  return b.toBytes({ purpose: 'facetrail face search coarse scan' });
}

export class DescriptorScan {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** One session, one intra-op thread: a search uses one core; concurrent searches share the pool. */
  static async create(): Promise<DescriptorScan> {
    const session = await ort.InferenceSession.create(scanModel(), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    return new DescriptorScan(session);
  }

  /**
   * Σ u·q of each of the first `count` gallery rows (uint8, 128 per row) with each query: row i's
   * product with query b at [i × queries.length + b]. Several queries at once read the gallery once
   * (a GEMM, not a GEMV per query).
   */
  async products(gallery: Uint8Array, count: number, queries: readonly Int8Array[]): Promise<Int32Array> {
    if (count === 0 || queries.length === 0) return new Int32Array(0);
    const b = queries.length;
    const query = new Int8Array(SCAN_DIMENSIONS * b);
    for (let j = 0; j < b; j++) for (let i = 0; i < SCAN_DIMENSIONS; i++) query[i * b + j] = queries[j]![i]!;
    const out = await this.session.run({
      gallery: new ort.Tensor('uint8', gallery.subarray(0, count * SCAN_DIMENSIONS), [count, SCAN_DIMENSIONS]),
      query: new ort.Tensor('int8', query, [SCAN_DIMENSIONS, b]),
    });
    return out.products!.data as Int32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
