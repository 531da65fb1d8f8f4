// 128-D face descriptors: the dlib-style aligned crop and its batch input, ported from face-api's
// ComputeAllFaceDescriptorsTask (landmarks.align with useDlibAlignment).
import { alignDlibRect, clipAtImageBorders } from './geometry.js';
import { regionToTensor } from './preprocess.js';
import type { Box, Point, RgbImage } from './types.js';

export const DESCRIPTOR_SIZE = 150;

/** The image region fed to the recognition net, or undefined when it is empty. */
export function descriptorCrop(landmarks: Point[], landmarkCrop: Box, img: RgbImage): Box | undefined {
  const rect = alignDlibRect(landmarks, landmarkCrop.width, landmarkCrop.height);
  const box = clipAtImageBorders(rect, img.width, img.height);
  return box.width > 0 && box.height > 0 ? box : undefined;
}

export function descriptorBatch(img: RgbImage, crops: Box[]): Float32Array {
  const per = 3 * DESCRIPTOR_SIZE * DESCRIPTOR_SIZE;
  const out = new Float32Array(per * crops.length);
  crops.forEach((c, i) => regionToTensor(img, c, DESCRIPTOR_SIZE, true, out, i * per));
  return out;
}

/** Euclidean distance between two descriptors (face-api's euclideanDistance). */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error('descriptor lengths differ');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
