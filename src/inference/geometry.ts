// Box and landmark geometry, ported from face-api's Box / FaceLandmarks classes.
import type { Box, Point } from './types.js';

/** face-api's Box.clipAtImageBorders: clip to the image, then floor every field. */
export function clipAtImageBorders(box: Box, imgWidth: number, imgHeight: number): Box {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const width = Math.min(box.x + box.width - x, imgWidth - x);
  const height = Math.min(box.y + box.height - y, imgHeight - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(width), height: Math.floor(height) };
}

const centre = (pts: Point[]): Point => {
  let sx = 0;
  let sy = 0;
  for (const [x, y] of pts) {
    sx += x;
    sy += y;
  }
  return [sx / pts.length, sy / pts.length];
};

/**
 * face-api's FaceLandmarks.alignDlib: a square around eyes and mouth used to crop the face for the
 * recognition net. `cropWidth/Height` are the dimensions of the landmark crop (face-api bounds the
 * size with them).
 */
export function alignDlibRect(landmarks: Point[], cropWidth: number, cropHeight: number): Box {
  const leftEye = centre(landmarks.slice(36, 42));
  const rightEye = centre(landmarks.slice(42, 48));
  const mouth = centre(landmarks.slice(48, 68));
  const dist = (p: Point) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const size = Math.floor((dist(leftEye) + dist(rightEye)) / 2 / 0.45);
  const [cx, cy] = centre([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, cx - 0.5 * size));
  const y = Math.floor(Math.max(0, cy - 0.43 * size));
  return { x, y, width: Math.min(size, cropWidth + x), height: Math.min(size, cropHeight + y) };
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
