// Pure helpers translating TensorFlow conventions to ONNX ones: NHWC/HWIO → NCHW/OIHW weight
// layouts, depthwise filters → grouped-conv filters, and TF "same" padding → explicit pads.

/** TF HWIO conv filter [kh, kw, ci, co] → ONNX OIHW [co, ci, kh, kw]. */
export function hwioToOihw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o]!;
  return { data: out, dims: [co, ci, kh, kw] };
}

/** TF depthwise filter [kh, kw, c, m] → ONNX grouped-conv filter [c * m, 1, kh, kw] (group = c). */
export function depthwiseToOihw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, c, m] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < c; i++)
        for (let j = 0; j < m; j++) out[((i * m + j) * kh + y) * kw + x] = data[((y * kw + x) * c + i) * m + j]!;
  return { data: out, dims: [c * m, 1, kh, kw] };
}

/**
 * TF "same" padding along one axis: output ceil(n / s), total padding max((out-1)*s + k - n, 0)
 * split with the smaller half first, so for stride 2 the extra pixel goes at the end.
 */
export function tfSamePads(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of a window op with explicit pads. */
export function windowOutSize(n: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((n + before + after - k) / s) + 1;
}
