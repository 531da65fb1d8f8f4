import { describe, expect, it } from 'vitest';
import { alignDlibRect, clipAtImageBorders, iou } from '../../../src/inference/geometry.js';
import { landmarksToImage } from '../../../src/inference/landmarks.js';
import type { Point } from '../../../src/inference/types.js';

describe('clipAtImageBorders', () => {
  it('clips to the image and floors', () => {
    expect(clipAtImageBorders({ x: -5.5, y: 2.7, width: 20.9, height: 200 }, 100, 50)).toEqual({ x: 0, y: 2, width: 15, height: 47 });
  });
});

describe('alignDlibRect', () => {
  it('builds the dlib square from eye and mouth centres', () => {
    const pts: Point[] = Array.from({ length: 68 }, () => [0, 0]);
    for (let i = 36; i < 42; i++) pts[i] = [40, 50];
    for (let i = 42; i < 48; i++) pts[i] = [80, 50];
    for (let i = 48; i < 68; i++) pts[i] = [60, 95];
    // eye→mouth distance = hypot(20, 45) ≈ 49.24 → size floor(49.24 / 0.45) = 109
    const size = Math.floor(Math.hypot(20, 45) / 0.45);
    const cx = 60;
    const cy = (50 + 50 + 95) / 3;
    expect(alignDlibRect(pts, 500, 500)).toEqual({ x: Math.floor(cx - 0.5 * size), y: Math.floor(cy - 0.43 * size), width: size, height: size });
  });
});

describe('landmarksToImage', () => {
  it('undoes the centred padding and scales to the crop, shifted by the detection origin', () => {
    // A 200×100 crop: scale 0.56, padded vertically by 28 px of 112 on each side.
    const raw = new Float32Array(136);
    raw[0] = 0.5; // x: centre of the input
    raw[1] = 28 / 112; // y: top edge of the content
    raw[2] = 1;
    raw[3] = 84 / 112; // bottom edge
    const pts = landmarksToImage(raw, 0, { x: 10, y: 20, width: 200, height: 100 }, { x: 10.4, y: 20.6 });
    expect(pts[0]![0]).toBeCloseTo(110.4, 4);
    expect(pts[0]![1]).toBeCloseTo(20.6, 4);
    expect(pts[1]![0]).toBeCloseTo(210.4, 4);
    expect(pts[1]![1]).toBeCloseTo(120.6, 4);
  });
});

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint ones', () => {
    expect(iou({ x: 0, y: 0, width: 2, height: 2 }, { x: 0, y: 0, width: 2, height: 2 })).toBe(1);
    expect(iou({ x: 0, y: 0, width: 2, height: 2 }, { x: 1, y: 0, width: 2, height: 2 })).toBeCloseTo(1 / 3);
    expect(iou({ x: 0, y: 0, width: 1, height: 1 }, { x: 5, y: 5, width: 1, height: 1 })).toBe(0);
  });
});
