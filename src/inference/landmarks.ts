// 68-point landmarks (iBUG / dlib order): face crops in, image-pixel points out, ported from
// face-api's DetectAllFaceLandmarksTask and FaceLandmark68NetBase.postProcess.
import { clipAtImageBorders } from './geometry.js';
import { regionToTensor } from './preprocess.js';
import type { Box, Detection, Point, RgbImage } from './types.js';

export const LANDMARK_SIZE = 112;

/** The pixel region face-api crops for a detection (clipped to the image and floored). */
export const landmarkCrop = (det: Detection, img: RgbImage): Box => clipAtImageBorders(det.box, img.width, img.height);

/** Writes each crop padded (centred) and resized to 112×112 into one NCHW batch. */
export function landmarkBatch(img: RgbImage, crops: Box[]): Float32Array {
  const per = 3 * LANDMARK_SIZE * LANDMARK_SIZE;
  const out = new Float32Array(per * crops.length);
  crops.forEach((c, i) => regionToTensor(img, c, LANDMARK_SIZE, true, out, i * per));
  return out;
}

/**
 * Maps the net's 136 outputs (x, y relative to the 112 input) back to image pixels. As in face-api,
 * points are scaled by the crop size and shifted by the detection box origin (not the floored
 * crop origin).
 */
export function landmarksToImage(raw: ArrayLike<number>, offset: number, crop: Box, shift: { x: number; y: number }): Point[] {
  const { width, height } = crop;
  const scale = LANDMARK_SIZE / Math.max(width, height);
  const w = width * scale;
  const h = height * scale;
  const padX = w < h ? Math.abs(w - h) / 2 : 0;
  const padY = h < w ? Math.abs(w - h) / 2 : 0;
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) {
    const rx = (raw[offset + 2 * i]! * LANDMARK_SIZE - padX) / w;
    const ry = (raw[offset + 2 * i + 1]! * LANDMARK_SIZE - padY) / h;
    points.push([rx * width + shift.x, ry * height + shift.y]);
  }
  return points;
}
