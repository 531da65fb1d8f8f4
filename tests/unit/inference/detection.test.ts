import { describe, expect, it } from 'vitest';
import { decodeSsd, reshapedDimensions } from '../../../src/inference/detect-ssd.js';
import { decodeTiny, TINY_ANCHORS } from '../../../src/inference/detect-tiny.js';
import { nmsGreedy, nmsSsd } from '../../../src/inference/nms.js';

describe('nmsSsd', () => {
  const boxes = Float32Array.from([
    0, 0, 1, 1, // a
    0, 0.1, 1, 1.1, // overlaps a (IoU ≈ 0.82)
    2, 2, 3, 3, // separate
    0, 0, 0, 0, // degenerate
  ]);
  it('keeps the best of overlapping boxes, drops low scores, honours the limit', () => {
    expect(nmsSsd(boxes, Float32Array.from([0.9, 0.95, 0.6, 0.99]), 10, 0.5, 0.5)).toEqual([3, 1, 2]);
    expect(nmsSsd(boxes, Float32Array.from([0.9, 0.95, 0.4, 0.1]), 10, 0.5, 0.5)).toEqual([1]);
    expect(nmsSsd(boxes, Float32Array.from([0.9, 0.95, 0.6, 0.1]), 1, 0.5, 0.5)).toEqual([1]);
  });
  it('keeps overlapping boxes under the IoU threshold', () => {
    expect(nmsSsd(boxes, Float32Array.from([0.9, 0.95, 0.6, 0.1]), 10, 0.9, 0.5)).toEqual([1, 0, 2]);
  });
});

describe('nmsGreedy', () => {
  it('picks by score and suppresses IoU above the threshold', () => {
    const b = [
      { left: 0, top: 0, right: 10, bottom: 10 },
      { left: 1, top: 1, right: 11, bottom: 11 },
      { left: 20, top: 20, right: 30, bottom: 30 },
    ];
    expect(nmsGreedy(b, [0.7, 0.8, 0.6], 0.4)).toEqual([1, 2]);
    expect(nmsGreedy(b, [0.7, 0.8, 0.6], 0.9)).toEqual([1, 0, 2]);
  });
});

describe('decodeSsd', () => {
  it('maps relative boxes of the end-padded square back to image pixels, clamped to [0, 1]', () => {
    // 1000×500 image: padded to 1000×1000, so y is scaled by 512 / 256 = 2.
    expect(reshapedDimensions(1000, 500, 512)).toEqual({ width: 512, height: 256 });
    const boxes = Float32Array.from([0.1, -0.05, 0.3, 0.5]);
    const [det] = decodeSsd(boxes, Float32Array.from([0.9]), 1000, 500, 0.5, 10);
    expect(det!.score).toBeCloseTo(0.9, 6);
    expect(det!.box.x).toBeCloseTo(0, 6);
    expect(det!.box.y).toBeCloseTo(0.1 * 2 * 500, 3);
    expect(det!.box.width).toBeCloseTo(0.5 * 1000, 3);
    expect(det!.box.height).toBeCloseTo(0.2 * 2 * 500, 3);
  });
});

describe('decodeTiny', () => {
  it('decodes one confident anchor of a 13×13 grid into image pixels', () => {
    const cells = 13;
    const grid = new Float32Array(cells * cells * 25).fill(-10); // all objectness ≈ 0
    const row = 6;
    const col = 3;
    const anchor = 1;
    const o = ((row * cells + col) * 5 + anchor) * 5;
    grid.set([0, 0, 0, 0, 5], o); // sigmoid(0) = 0.5 offsets, exp(0) = 1 × anchor size
    const dets = decodeTiny(grid, cells, 416, 416, 0.5, 10);
    expect(dets).toHaveLength(1);
    const [aw, ah] = TINY_ANCHORS[anchor]!;
    const w = (aw / cells) * 416;
    const h = (ah / cells) * 416;
    expect(dets[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-5)), 6);
    expect(dets[0]!.box.x).toBeCloseTo(((col + 0.5) / cells) * 416 - w / 2, 6);
    expect(dets[0]!.box.y).toBeCloseTo(((row + 0.5) / cells) * 416 - h / 2, 6);
    expect(dets[0]!.box.width).toBeCloseTo(w, 6);
    expect(dets[0]!.box.height).toBeCloseTo(h, 6);
    expect(decodeTiny(grid, cells, 416, 416, 0.999, 10)).toHaveLength(0);
  });
});
