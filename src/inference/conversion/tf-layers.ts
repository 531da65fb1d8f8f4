// tfjs layer semantics expressed as ONNX nodes on a GraphBuilder. Values are NCHW; every helper
// tracks the static spatial shape so TF "same" padding can be made explicit.
import { type Attr, float, type GraphBuilder, int, ints, type Value } from './onnx-builder.js';
import { depthwiseToOihw, hwioToOihw, tfSamePads, windowOutSize } from './tf-layout.js';
import type { WeightTensor } from './tfjs-weights.js';

/** 'same' (TF semantics), 'valid', or explicit [top, left, bottom, right]. */
export type Padding = 'same' | 'valid' | [number, number, number, number];

function dims(x: Value): { n: number | string; c: number; h: number; w: number } {
  const [n, c, h, w] = x.shape;
  if (n === undefined || typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
    throw new Error(`expected a static NCHW value, got ${x.name} [${x.shape.join(',')}]`);
  }
  return { n, c, h, w };
}

function resolvePads(padding: Padding, h: number, w: number, kh: number, kw: number, s: number): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const [t, b] = tfSamePads(h, kh, s);
    const [l, r] = tfSamePads(w, kw, s);
    return [t, l, b, r];
  }
  return padding;
}

/** Per-channel vector reshaped to [C, 1, 1] for NCHW broadcasting. */
export function channelConst(b: GraphBuilder, hint: string, v: WeightTensor | Float32Array): Value {
  const data = v instanceof Float32Array ? v : v.data;
  return b.constant(hint, [data.length, 1, 1], data);
}

function convNode(b: GraphBuilder, x: Value, w: { data: Float32Array; dims: number[] }, stride: number, padding: Padding, group: number, bias: WeightTensor | undefined, hint: string): Value {
  const { n, h, w: width } = dims(x);
  const [co, , kh, kw] = w.dims as [number, number, number, number];
  const pads = resolvePads(padding, h, width, kh, kw, stride);
  const W = b.constant(`${hint}_w`, w.dims, w.data);
  const inputs = [x, W];
  if (bias) inputs.push(b.constant(`${hint}_b`, [bias.data.length], bias.data));
  const oh = windowOutSize(h, kh, stride, pads[0], pads[2]);
  const ow = windowOutSize(width, kw, stride, pads[1], pads[3]);
  return b.op('Conv', inputs, [n, co, oh, ow], {
    kernel_shape: ints(kh, kw),
    strides: ints(stride, stride),
    pads: ints(pads[0], pads[1], pads[2], pads[3]),
    dilations: ints(1, 1),
    group: int(group),
  }, hint);
}

/** tf.conv2d with an HWIO filter (plus an optional bias folded into the Conv node). */
export function conv2d(b: GraphBuilder, x: Value, filter: WeightTensor, stride: number, padding: Padding, hint: string, bias?: WeightTensor): Value {
  return convNode(b, x, hwioToOihw(filter.data, filter.shape), stride, padding, 1, bias, hint);
}

/** tf.depthwiseConv2d with a [kh, kw, C, 1] filter, as a grouped Conv. */
export function depthwiseConv2d(b: GraphBuilder, x: Value, filter: WeightTensor, stride: number, padding: Padding, hint: string): Value {
  return convNode(b, x, depthwiseToOihw(filter.data, filter.shape), stride, padding, dims(x).c, undefined, hint);
}

/** tf.separableConv2d (depthwise then 1x1 pointwise) followed by a bias add. */
export function separableConv2d(b: GraphBuilder, x: Value, p: { depthwise: WeightTensor; pointwise: WeightTensor; bias: WeightTensor }, stride: number, padding: Padding, hint: string): Value {
  const dw = depthwiseConv2d(b, x, p.depthwise, stride, padding, `${hint}_dw`);
  return conv2d(b, dw, p.pointwise, 1, 'valid', `${hint}_pw`, p.bias);
}

export function addChannels(b: GraphBuilder, x: Value, v: WeightTensor, hint: string): Value {
  return b.op('Add', [x, channelConst(b, hint, v)], x.shape);
}

export function mulChannels(b: GraphBuilder, x: Value, v: WeightTensor, hint: string): Value {
  return b.op('Mul', [x, channelConst(b, hint, v)], x.shape);
}

export function add(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op('Add', [x, y], x.shape);
}

export function relu(b: GraphBuilder, x: Value): Value {
  return b.op('Relu', [x], x.shape);
}

/** tf.clipByValue(x, lo, hi) (relu6 for 0..6). */
export function clip(b: GraphBuilder, x: Value, lo: number, hi: number): Value {
  const min = b.constant('clip_min', [], [lo]);
  const max = b.constant('clip_max', [], [hi]);
  return b.op('Clip', [x, min, max], x.shape);
}

/** tf.batchNorm with moving statistics. */
export function batchNorm(b: GraphBuilder, x: Value, p: { scale: WeightTensor; offset: WeightTensor; mean: WeightTensor; variance: WeightTensor }, epsilon: number, hint: string): Value {
  const c = (v: WeightTensor, s: string) => b.constant(`${hint}_${s}`, [v.data.length], v.data);
  return b.op('BatchNormalization', [x, c(p.scale, 'scale'), c(p.offset, 'offset'), c(p.mean, 'mean'), c(p.variance, 'var')], x.shape, { epsilon: float(epsilon) });
}

function pool(b: GraphBuilder, opType: 'MaxPool' | 'AveragePool', x: Value, k: number, stride: number, padding: Padding): Value {
  const { n, c, h, w } = dims(x);
  const pads = resolvePads(padding, h, w, k, k, stride);
  const attrs: Record<string, Attr> = { kernel_shape: ints(k, k), strides: ints(stride, stride), pads: ints(pads[0], pads[1], pads[2], pads[3]) };
  // TF never counts padding in an average (and pads max pooling with -inf, as ONNX does).
  if (opType === 'AveragePool') attrs.count_include_pad = int(0);
  return b.op(opType, [x], [n, c, windowOutSize(h, k, stride, pads[0], pads[2]), windowOutSize(w, k, stride, pads[1], pads[3])], attrs);
}

export const maxPool = (b: GraphBuilder, x: Value, k: number, stride: number, padding: Padding): Value => pool(b, 'MaxPool', x, k, stride, padding);
export const avgPool = (b: GraphBuilder, x: Value, k: number, stride: number, padding: Padding): Value => pool(b, 'AveragePool', x, k, stride, padding);

/** face-api's normalize(x, meanRgb) followed by a division: (x - mean) / divisor, per channel. */
export function normalizeRgb(b: GraphBuilder, x: Value, mean: [number, number, number], divisor: number): Value {
  const m = b.constant('mean_rgb', [3, 1, 1], mean);
  const d = b.constant('divisor', [], [divisor]);
  return b.op('Div', [b.op('Sub', [x, m], x.shape), d], x.shape);
}

/** NCHW → NHWC transpose, then reshape to [N, -1, last]. Used to emit tf's flattened predictions. */
export function nhwcFlatten(b: GraphBuilder, x: Value, last: number): Value {
  const { n, c, h, w } = dims(x);
  const t = b.op('Transpose', [x], [n, h, w, c], { perm: ints(0, 2, 3, 1) });
  const shape = b.int64('shape', [typeof n === 'number' ? n : 0, -1, last]);
  return b.op('Reshape', [t, shape], [n, (h * w * c) / last, last]);
}

/** Zero-pads at the end of the channel, height and width axes (tf.concat with zeros). */
export function padEnd(b: GraphBuilder, x: Value, dc: number, dh: number, dw: number): Value {
  const { n, c, h, w } = dims(x);
  const pads = b.int64('pads', [0, 0, 0, 0, 0, dc, dh, dw]);
  return b.op('Pad', [x, pads], [n, c + dc, h + dh, w + dw], {});
}
