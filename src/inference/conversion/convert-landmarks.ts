// face_landmark_68_model → ONNX.
//
// Graph: input [N,3,112,112] RGB 0..255 → (x - meanRgb)/255 → 4 dense blocks (each: a stride-2
// conv (a plain 3x3 conv in block 0, separable after) then three separable convs with dense
// residual sums and relus) → 7x7/2 average pool → fully connected 256→136 → output
// `landmarks` [N,136]: interleaved (x, y) of the 68 iBUG points relative to the 112 input.
import { GraphBuilder, type Value } from './onnx-builder.js';
import { add, avgPool, conv2d, normalizeRgb, relu, separableConv2d } from './tf-layers.js';
import { weight, type WeightMap } from './tfjs-weights.js';

export const LANDMARK_INPUT_SIZE = 112;
export const FACE_MEAN_RGB: [number, number, number] = [122.782, 117.001, 104.298];

function sep(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  return separableConv2d(b, x, {
    depthwise: weight(wm, `${prefix}/depthwise_filter`, 4),
    pointwise: weight(wm, `${prefix}/pointwise_filter`, 4),
    bias: weight(wm, `${prefix}/bias`, 1),
  }, stride, 'same', prefix.replace(/\//g, '_'));
}

/** face-api's denseBlock4. */
function denseBlock4(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string, isFirst: boolean): Value {
  const out1 = relu(b, isFirst
    ? conv2d(b, x, weight(wm, `${prefix}/conv0/filters`, 4), 2, 'same', `${prefix}_conv0`, weight(wm, `${prefix}/conv0/bias`, 1))
    : sep(b, wm, x, `${prefix}/conv0`, 2));
  const out2 = sep(b, wm, out1, `${prefix}/conv1`, 1);
  const in3 = relu(b, add(b, out1, out2));
  const out3 = sep(b, wm, in3, `${prefix}/conv2`, 1);
  const in4 = relu(b, add(b, out1, add(b, out2, out3)));
  const out4 = sep(b, wm, in4, `${prefix}/conv3`, 1);
  return relu(b, add(b, out1, add(b, out2, add(b, out3, out4))));
}

export function convertLandmarks(wm: WeightMap): GraphBuilder {
  const b = new GraphBuilder('face_landmark_68');
  const S = LANDMARK_INPUT_SIZE;
  const input = b.input('input', ['N', 3, S, S]);
  let out = normalizeRgb(b, input, FACE_MEAN_RGB, 255);
  out = denseBlock4(b, wm, out, 'dense0', true);
  out = denseBlock4(b, wm, out, 'dense1', false);
  out = denseBlock4(b, wm, out, 'dense2', false);
  out = denseBlock4(b, wm, out, 'dense3', false);
  out = avgPool(b, out, 7, 2, 'valid');
  const flat = b.op('Flatten', [out], ['N', 256], { axis: { int: 1 } });
  const fcW = weight(wm, 'fc/weights', 2);
  const fcB = weight(wm, 'fc/bias', 1);
  const fc = b.op('Gemm', [flat, b.constant('fc_w', fcW.shape, fcW.data), b.constant('fc_b', fcB.shape, fcB.data)], ['N', 136]);
  b.output(fc, 'landmarks');
  return b;
}
