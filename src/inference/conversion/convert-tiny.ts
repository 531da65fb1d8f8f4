// tiny_face_detector_model (a Tiny-YOLOv2 with separable convs) → ONNX.
//
// Graph: input [1,3,416,416] RGB 0..255 → (x - meanRgb)/255 → 3x3 valid conv (+bias, leaky
// 0.1) → 2x2/2 max pool → 5 × [pad 1 + separable 3x3 conv (+bias, leaky)] with max pools (the
// last stride 1, "same", i.e. one extra row/column at the end) → 1x1 conv to 5 anchors × 5 values
// → output `grid` [1,13,13,25] in NHWC order (tx, ty, tw, th, objectness per anchor).
import { GraphBuilder, type Value } from './onnx-builder.js';
import { conv2d, maxPool, normalizeRgb, separableConv2d } from './tf-layers.js';
import { weight, type WeightMap } from './tfjs-weights.js';

export const TINY_INPUT_SIZE = 416;
export const TINY_MEAN_RGB: [number, number, number] = [117.001, 114.697, 97.404];

const leaky = (b: GraphBuilder, x: Value): Value => b.op('LeakyRelu', [x], x.shape, { alpha: { float: 0.10000000149011612 } });

function sep(b: GraphBuilder, wm: WeightMap, x: Value, prefix: string): Value {
  return leaky(b, separableConv2d(b, x, {
    depthwise: weight(wm, `${prefix}/depthwise_filter`, 4),
    pointwise: weight(wm, `${prefix}/pointwise_filter`, 4),
    bias: weight(wm, `${prefix}/bias`, 1),
  }, 1, [1, 1, 1, 1], prefix));
}

export function convertTiny(wm: WeightMap): GraphBuilder {
  const b = new GraphBuilder('tiny_face_detector');
  const S = TINY_INPUT_SIZE;
  const input = b.input('input', [1, 3, S, S]);
  let out = normalizeRgb(b, input, TINY_MEAN_RGB, 255);
  out = leaky(b, conv2d(b, out, weight(wm, 'conv0/filters', 4), 1, 'valid', 'conv0', weight(wm, 'conv0/bias', 1)));
  out = maxPool(b, out, 2, 2, 'same');
  for (let i = 1; i <= 5; i++) {
    out = sep(b, wm, out, `conv${i}`);
    out = maxPool(b, out, 2, i === 5 ? 1 : 2, 'same');
  }
  out = conv2d(b, out, weight(wm, 'conv8/filters', 4), 1, 'valid', 'conv8', weight(wm, 'conv8/bias', 1));
  const [n, c, h, w] = out.shape as [number, number, number, number];
  b.output(b.op('Transpose', [out], [n, h, w, c], { perm: { ints: [0, 2, 3, 1] } }), 'grid');
  return b;
}
