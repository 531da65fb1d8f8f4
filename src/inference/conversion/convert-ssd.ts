// SSD MobileNet v1 (face-api's ssd_mobilenetv1_model) → ONNX.
//
// Graph: input [1,3,512,512] RGB 0..255 → x/127.5-1 → MobileNetV1 (conv_0 3x3/2 + 13 depthwise
// (BatchNorm, relu6) / pointwise (bias, relu6) pairs; stride 2 at pairs 2,4,6,12) → 8 extra
// pointwise layers → 6 box predictors (on conv11, the backbone output and extra layers 1,3,5,7)
// → box decoding against the 5118 anchors of Output/extra_dim → outputs
// `boxes` [5118,4] (ymin,xmin,ymax,xmax relative to the padded square) and `scores` [5118].
import { GraphBuilder, type Value } from './onnx-builder.js';
import { addChannels, batchNorm, clip, conv2d, depthwiseConv2d, nhwcFlatten } from './tf-layers.js';
import { weight, type WeightMap } from './tfjs-weights.js';

export const SSD_INPUT_SIZE = 512;
const BN_EPSILON = 0.0010000000474974513;

function pointwise(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  const conv = conv2d(b, x, weight(wm, `${prefix}/weights`, 4), stride, 'same', prefix.replace(/\//g, '_'));
  return clip(b, addChannels(b, conv, weight(wm, `${prefix}/convolution_bn_offset`, 1), 'bn_offset'), 0, 6);
}

function depthwise(b: GraphBuilder, wm: WeightMap, x: Value, idx: number, stride: number): Value {
  const p = `MobilenetV1/Conv2d_${idx}_depthwise`;
  const out = depthwiseConv2d(b, x, weight(wm, `${p}/depthwise_weights`, 4), stride, 'same', `dw${idx}`);
  const bn = batchNorm(b, out, {
    scale: weight(wm, `${p}/BatchNorm/gamma`, 1),
    offset: weight(wm, `${p}/BatchNorm/beta`, 1),
    mean: weight(wm, `${p}/BatchNorm/moving_mean`, 1),
    variance: weight(wm, `${p}/BatchNorm/moving_variance`, 1),
  }, BN_EPSILON, `bn${idx}`);
  return clip(b, bn, 0, 6);
}

function boxPredictor(b: GraphBuilder, wm: WeightMap, x: Value, idx: number): { box: Value; cls: Value } {
  const p = `Prediction/BoxPredictor_${idx}`;
  const conv = (name: string) =>
    conv2d(b, x, weight(wm, `${p}/${name}/weights`, 4), 1, 'same', `bp${idx}_${name}`, weight(wm, `${p}/${name}/biases`, 1));
  return { box: nhwcFlatten(b, conv('BoxEncodingPredictor'), 4), cls: nhwcFlatten(b, conv('ClassPredictor'), 3) };
}

/** Anchor sizes and centres, computed in float32 like tfjs's getCenterCoordinatesAndSizesLayer. */
function anchorGeometry(anchors: Float32Array): { sizes: Float32Array; centers: Float32Array } {
  const n = anchors.length / 4;
  const sizes = new Float32Array(n * 2);
  const centers = new Float32Array(n * 2);
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const [a0, a1, a2, a3] = [anchors[4 * i]!, anchors[4 * i + 1]!, anchors[4 * i + 2]!, anchors[4 * i + 3]!];
    sizes[2 * i] = f(a2 - a0);
    sizes[2 * i + 1] = f(a3 - a1);
    centers[2 * i] = f(a0 + f(sizes[2 * i]! / 2));
    centers[2 * i + 1] = f(a1 + f(sizes[2 * i + 1]! / 2));
  }
  return { sizes, centers };
}

export function convertSsd(wm: WeightMap): GraphBuilder {
  const b = new GraphBuilder('ssd_mobilenetv1');
  const S = SSD_INPUT_SIZE;
  const input = b.input('input', [1, 3, S, S]);
  const scaled = b.op('Sub', [b.op('Div', [input, b.constant('c127_5', [], [127.5])], input.shape), b.constant('one', [], [1])], input.shape);

  let out = pointwise(b, wm, scaled, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: Value | undefined;
  for (let i = 1; i <= 13; i++) {
    out = depthwise(b, wm, out, i, [2, 4, 6, 12].includes(i) ? 2 : 1);
    out = pointwise(b, wm, out, `MobilenetV1/Conv2d_${i}_pointwise`, 1);
    if (i === 11) conv11 = out;
  }
  if (!conv11) throw new Error('conv11 missing');

  const extra: Value[] = [];
  let e = out;
  for (let i = 0; i < 8; i++) {
    e = pointwise(b, wm, e, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    extra.push(e);
  }
  const sources = [conv11, out, extra[1]!, extra[3]!, extra[5]!, extra[7]!];
  const preds = sources.map((x, i) => boxPredictor(b, wm, x, i));
  const total = preds.reduce((n, p) => n + (p.box.shape[1] as number), 0);

  const boxEnc = b.op('Concat', preds.map((p) => p.box), [1, total, 4], { axis: { int: 1 } });
  const classes = b.op('Concat', preds.map((p) => p.cls), [1, total, 3], { axis: { int: 1 } });

  // Box decoding (tfjs outputLayer.decodeBoxesLayer), vectorised over (y, x) pairs.
  const anchors = weight(wm, 'Output/extra_dim', 3);
  if (anchors.shape[1] !== total) throw new Error(`anchor count ${anchors.shape[1]} != predictions ${total}`);
  const { sizes, centers } = anchorGeometry(anchors.data);
  const enc = b.op('Reshape', [boxEnc, b.int64('shape', [total, 4])], [total, 4]);
  const slice = (x: Value, from: number, to: number, axis: number, shape: number[]) =>
    b.op('Slice', [x, b.int64('starts', [from]), b.int64('ends', [to]), b.int64('axes', [axis])], shape);
  const v01 = slice(enc, 0, 2, 1, [total, 2]);
  const v23 = slice(enc, 2, 4, 1, [total, 2]);
  const S2 = b.constant('anchor_sizes', [total, 2], sizes);
  const C2 = b.constant('anchor_centers', [total, 2], centers);
  const c = (v: number) => b.constant('c', [], [v]);
  const shape2 = [total, 2];
  const addOut = b.op('Add', [b.op('Mul', [b.op('Div', [v01, c(10)], shape2), S2], shape2), C2], shape2);
  const divOut = b.op('Div', [b.op('Mul', [b.op('Exp', [b.op('Div', [v23, c(5)], shape2)], shape2), S2], shape2), c(2)], shape2);
  const boxes = b.op('Concat', [b.op('Sub', [addOut, divOut], shape2), b.op('Add', [addOut, divOut], shape2)], [total, 4], { axis: { int: 1 } });
  b.output(boxes, 'boxes');

  const cls1 = slice(classes, 1, 2, 2, [1, total, 1]);
  const scores = b.op('Reshape', [b.op('Sigmoid', [cls1], [1, total, 1]), b.int64('shape', [total])], [total]);
  b.output(scores, 'scores');
  return b;
}
