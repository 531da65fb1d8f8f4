// Face detection with the tiny YOLO detector: input preparation and grid decoding (face-api's
// TinyYolov2Base.extractBoxes + TinyFaceDetector.locateFaces).
import { nmsGreedy } from './nms.js';
import { imageToTensor } from './preprocess.js';
import { reshapedDimensions } from './detect-ssd.js';
import type { Detection, RgbImage } from './types.js';

export const TINY_SIZE = 416;
const IOU_THRESHOLD = 0.4;
export const TINY_ANCHORS: [number, number][] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const tinyInput = (img: RgbImage): Float32Array => imageToTensor(img, TINY_SIZE);

/**
 * Decodes the NHWC grid [cells, cells, anchors × 5] (tx, ty, tw, th, objectness) into detections
 * in image pixels: sigmoid/exp decoding with the anchors, score filter, NMS, then `maxFaces`.
 */
export function decodeTiny(grid: Float32Array, cells: number, width: number, height: number, minScore: number, maxFaces: number): Detection[] {
  const reshaped = reshapedDimensions(width, height, TINY_SIZE);
  const inputSize = Math.max(reshaped.width, reshaped.height);
  const corrX = inputSize / reshaped.width;
  const corrY = inputSize / reshaped.height;
  const nA = TINY_ANCHORS.length;
  const boxes: { left: number; top: number; right: number; bottom: number }[] = [];
  const scores: number[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let a = 0; a < nA; a++) {
        const o = ((row * cells + col) * nA + a) * 5;
        const score = sigmoid(grid[o + 4]!);
        if (!(score > minScore)) continue;
        const [ax, ay] = TINY_ANCHORS[a]!;
        const ctX = ((col + sigmoid(grid[o]!)) / cells) * corrX;
        const ctY = ((row + sigmoid(grid[o + 1]!)) / cells) * corrY;
        const w = ((Math.exp(grid[o + 2]!) * ax) / cells) * corrX;
        const h = ((Math.exp(grid[o + 3]!) * ay) / cells) * corrY;
        const x = ctX - w / 2;
        const y = ctY - h / 2;
        boxes.push({ left: x, top: y, right: x + w, bottom: y + h });
        scores.push(score);
      }
    }
  }
  const scaled = boxes.map((b) => ({ left: b.left * inputSize, top: b.top * inputSize, right: b.right * inputSize, bottom: b.bottom * inputSize }));
  return nmsGreedy(scaled, scores, IOU_THRESHOLD)
    .slice(0, maxFaces)
    .map((i) => {
      const b = boxes[i]!;
      return { score: scores[i]!, box: { x: b.left * width, y: b.top * height, width: (b.right - b.left) * width, height: (b.bottom - b.top) * height } };
    });
}
