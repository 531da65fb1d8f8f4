// The coarse pass of face search (issue 17): the inner products of a few query descriptors with
// every descriptor of a gallery, in 8-bit integers on onnxruntime's integer GEMM (MatMulInteger:
// MLAS's vectorised u8×s8 kernels). A float32 gallery of 100 000 faces is 51 MB that every query
// must stream from memory (~9 ms here at best); its 8-bit copy is 12.8 MB. The scan only picks candidates: the caller ranks them again on the float32
// values (src/queries/recognition/face-gallery.ts), so the distances it answers are exact.
//
// Layout: the gallery is a [128, capacity] int8 matrix, one column per face (appending a face
// writes its column; unused columns are never candidates); the queries a [b, 128] uint8 matrix with
// zero point 128. The products become ranking keys and the k smallest are selected (TopK) in the
// same graph: 64 queries over 100 000 faces take ~24 ms here, one ~1.3 ms.
//
// Quantisation: one fixed step for every value (descriptors of the face_recognition model lie within
// ±0.46 on the samples; a value beyond ±QUANT_RANGE is clamped, which only makes its candidate rank
// less exact). With g = round(256·x) and u = round(256·y) + 128:
//   Σ u·g = 256²·x̂·ŷ + 128·Σ g    →    x̂·ŷ = (Σ u·g − 128·Σ g) / 256².

import * as ort from 'onnxruntime-node';
import { GraphBuilder, int } from './conversion/onnx-builder.js';
import { DataType } from './conversion/onnx-proto.js';

export const SCAN_DIMENSIONS = 128;
const STEPS_PER_UNIT = 256;
/** Values quantise exactly within ±QUANT_RANGE. */
export const QUANT_RANGE = 127 / STEPS_PER_UNIT;

/** The gallery (int8) value of a descriptor value. */
export function quantiseGalleryValue(value: number): number {
  const v = Math.round(value * STEPS_PER_UNIT);
  return v < -127 ? -127 : v > 127 ? 127 : v;
}

/** Writes the query (uint8, zero point 128) form of a descriptor at `out[offset…offset+128)`. */
export function quantiseQueryInto(values: Float32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < SCAN_DIMENSIONS; i++) {
    const v = Math.round(values[i]! * STEPS_PER_UNIT) + 128;
    out[offset + i] = v < 1 ? 1 : v > 255 ? 255 : v;
  }
}

/**
 * The ranking key of gallery face i for a query: |x̂ᵢ|² − 2·x̂ᵢ·ŷ (the squared distance less the
 * query's own norm) = base[i] − KEY_SCALE · Σ u·g, where base[i] = |xᵢ|² + Σ gᵢ / 256 (keyBase).
 * An unused column's base is +∞: it is never a candidate.
 */
const KEY_SCALE = 2 / (STEPS_PER_UNIT * STEPS_PER_UNIT);
export const keyBase = (norm: number, quantisedSum: number): number => norm + (2 * 128 * quantisedSum) / (STEPS_PER_UNIT * STEPS_PER_UNIT);

/** products → keys → the k smallest, all in onnxruntime (a JavaScript pass over 100 000 keys per query cost 0.8 ms here; TopK costs a fraction). */
function scanModel(): Uint8Array {
  const b = new GraphBuilder('descriptor_scan');
  const queries = b.input('queries', ['b', SCAN_DIMENSIONS], DataType.UINT8);
  const gallery = b.input('gallery', [SCAN_DIMENSIONS, 'n'], DataType.INT8);
  const base = b.input('base', [1, 'n']);
  const k = b.input('k', [1], DataType.INT64);
  const products = b.op('MatMulInteger', [queries, gallery], ['b', 'n'], {}, undefined, DataType.INT32);
  const asFloat = b.op('Cast', [products], ['b', 'n'], { to: int(DataType.FLOAT) });
  const keys = b.op('Add', [b.op('Mul', [asFloat, b.constant('minus_key_scale', [1], [-KEY_SCALE])], ['b', 'n']), base], ['b', 'n']);
  const [, nearest] = b.opMulti('TopK', [keys, k], [['b', 'k'], ['b', 'k']], { axis: int(-1), largest: int(0), sorted: int(0) }, ['keys', 'candidates']);
  b.output({ ...nearest!, elemType: DataType.INT64 });
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
   * For each of `count` queries (`queries`: count × 128, uint8), the `k` gallery columns with the
   * smallest keys, unordered: [b × k + j]. `gallery` is 128 × capacity (int8), `base` capacity
   * keys bases (+∞ for unused columns); k ≤ the columns in use.
   */
  async candidates(gallery: Int8Array, base: Float32Array, capacity: number, queries: Uint8Array, count: number, k: number): Promise<BigInt64Array> {
    const out = await this.session.run({
      queries: new ort.Tensor('uint8', queries.subarray(0, count * SCAN_DIMENSIONS), [count, SCAN_DIMENSIONS]),
      gallery: new ort.Tensor('int8', gallery.subarray(0, SCAN_DIMENSIONS * capacity), [SCAN_DIMENSIONS, capacity]),
      base: new ort.Tensor('float32', base.subarray(0, capacity), [1, capacity]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
    return out.candidates!.data as BigInt64Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
