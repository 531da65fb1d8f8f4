// Face detection with SSD MobileNet v1: input preparation and output decoding (face-api's
// SsdMobilenetv1.locateFaces). The ONNX graph already decodes boxes against the anchors.
import { nmsSsd } from './nms.js';
import { imageToTensor } from './preprocess.js';
import type { Detection, RgbImage } from './types.js';

export const SSD_SIZE = 512;
const IOU_THRESHOLD = 0.5;

/** The image padded at the end to a square and resized to 512×512, NCHW. */
export const ssdInput = (img: RgbImage): Float32Array => imageToTensor(img, SSD_SIZE);

/** face-api's computeReshapedDimensions: the image size after scaling its long side to `size`. */
export function reshapedDimensions(width: number, height: number, size: number): { width: number; height: number } {
  const scale = size / Math.max(width, height);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

/**
 * Turns the graph's `boxes` ([ymin, xmin, ymax, xmax] relative to the padded square) and `scores`
 * into detections in image pixels, after NMS.
 */
export function decodeSsd(boxes: Float32Array, scores: Float32Array, width: number, height: number, minScore: number, maxFaces: number): Detection[] {
  const indices = nmsSsd(boxes, scores, maxFaces, IOU_THRESHOLD, minScore);
  const reshaped = reshapedDimensions(width, height, SSD_SIZE);
  const padX = SSD_SIZE / reshaped.width;
  const padY = SSD_SIZE / reshaped.height;
  return indices.map((i) => {
    const top = Math.max(0, boxes[4 * i]!) * padY;
    const left = Math.max(0, boxes[4 * i + 1]!) * padX;
    const bottom = Math.min(1, boxes[4 * i + 2]!) * padY;
    const right = Math.min(1, boxes[4 * i + 3]!) * padX;
    return {
      score: scores[i]!,
      box: { x: left * width, y: top * height, width: (right - left) * width, height: (bottom - top) * height },
    };
  });
}
