// face_recognition_model (face-api's port of dlib's ResNet-34 face descriptor) → ONNX.
//
// Graph: input [N,3,150,150] RGB 0..255 → (x - meanRgb)/255 → 7x7/2 valid conv (+bias, scale
// layer = multiply/add per channel, relu) → 3x3/2 max pool → residual blocks (32×3, 64 down+3,
// 128 down+2, 256 down+2, 256 down_out). A down block uses a 3x3/2 valid conv on the main path
// and a 2×2 average pool on the shortcut, zero-padding the channels (and, when the conv output is
// smaller, one row/column at the end of the main path) before the sum → global average → fc
// 256→128 → output `descriptor` [N,128].
import { GraphBuilder, type Value } from './onnx-builder.js';
import { add, addChannels, avgPool, conv2d, maxPool, mulChannels, normalizeRgb, padEnd, relu } from './tf-layers.js';
import { weight, type WeightMap } from './tfjs-weights.js';
import { FACE_MEAN_RGB } from './convert-landmarks.js';

export const RECOGNITION_INPUT_SIZE = 150;

function convLayer(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string, stride: number, withRelu: boolean, padding: 'same' | 'valid'): Value {
  const hint = prefix.replace(/\//g, '_');
  let out = conv2d(b, x, weight(wm, `${prefix}/conv/filters`, 4), stride, padding, hint, weight(wm, `${prefix}/conv/bias`, 1));
  out = mulChannels(b, out, weight(wm, `${prefix}/scale/weights`, 1), `${hint}_scale_w`);
  out = addChannels(b, out, weight(wm, `${prefix}/scale/biases`, 1), `${hint}_scale_b`);
  return withRelu ? relu(b, out) : out;
}

function residual(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string): Value {
  const out = convLayer(b, wm, x, `${prefix}/conv1`, 1, true, 'same');
  const out2 = convLayer(b, wm, out, `${prefix}/conv2`, 1, false, 'same');
  return relu(b, add(b, out2, x));
}

function residualDown(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string): Value {
  let out = convLayer(b, wm, x, `${prefix}/conv1`, 2, true, 'valid');
  out = convLayer(b, wm, out, `${prefix}/conv2`, 1, false, 'same');
  let pooled = avgPool(b, x, 2, 2, 'valid');
  const [, pc, ph, pw] = pooled.shape as [unknown, number, number, number];
  const [, oc, oh, ow] = out.shape as [unknown, number, number, number];
  if (ph !== oh || pw !== ow) out = padEnd(b, out, 0, ph - oh, pw - ow);
  if (pc !== oc) pooled = padEnd(b, pooled, oc - pc, 0, 0);
  return relu(b, add(b, pooled, out));
}

export function convertRecognition(wm: WeightMap): GraphBuilder {
  const b = new GraphBuilder('face_recognition');
  const S = RECOGNITION_INPUT_SIZE;
  const input = b.input('input', ['N', 3, S, S]);
  let out = normalizeRgb(b, input, FACE_MEAN_RGB, 255);
  out = convLayer(b, wm, out, 'conv32_down', 2, true, 'valid');
  out = maxPool(b, out, 3, 2, 'valid');
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) out = residual(b, wm, out, p);
  out = residualDown(b, wm, out, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) out = residual(b, wm, out, p);
  out = residualDown(b, wm, out, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) out = residual(b, wm, out, p);
  out = residualDown(b, wm, out, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) out = residual(b, wm, out, p);
  out = residualDown(b, wm, out, 'conv256_down_out');
  const mean = b.op('ReduceMean', [out], ['N', 256, 1, 1], { axes: { ints: [2, 3] }, keepdims: { int: 1 } });
  const flat = b.op('Flatten', [mean], ['N', 256], { axis: { int: 1 } });
  const fc = weight(wm, 'fc', 2);
  b.output(b.op('MatMul', [flat, b.constant('fc', fc.shape, fc.data)], ['N', 128]), 'descriptor');
  return b;
}
