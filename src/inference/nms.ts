// Non-maximum suppression, ported from face-api (two variants: the SSD one and the tiny-YOLO one).

/**
 * face-api's SSD nonMaxSuppression: candidates above `scoreThreshold` in descending score order;
 * a candidate is kept unless its IoU with a kept box exceeds `iouThreshold`; at most `maxOutput`.
 * Boxes are [ymin, xmin, ymax, xmax] rows of `boxes`.
 */
export function nmsSsd(boxes: Float32Array, scores: Float32Array, maxOutput: number, iouThreshold: number, scoreThreshold: number): number[] {
  const n = scores.length;
  const candidates: { score: number; index: number }[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! > scoreThreshold) candidates.push({ score: scores[i]!, index: i });
  candidates.sort((a, b) => b.score - a.score);
  const limit = Math.min(maxOutput, n);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= limit) break;
    let keep = true;
    for (let j = selected.length - 1; j >= 0; j--) {
      const overlap = iouCorners(boxes, c.index, selected[j]!);
      if (overlap === 0) continue;
      if (overlap > iouThreshold) {
        keep = false;
        break;
      }
    }
    if (keep) selected.push(c.index);
  }
  return selected;
}

function iouCorners(boxes: Float32Array, i: number, j: number): number {
  const b = (k: number, o: number) => boxes[4 * k + o]!;
  const yminI = Math.min(b(i, 0), b(i, 2));
  const xminI = Math.min(b(i, 1), b(i, 3));
  const ymaxI = Math.max(b(i, 0), b(i, 2));
  const xmaxI = Math.max(b(i, 1), b(i, 3));
  const yminJ = Math.min(b(j, 0), b(j, 2));
  const xminJ = Math.min(b(j, 1), b(j, 3));
  const ymaxJ = Math.max(b(j, 0), b(j, 2));
  const xmaxJ = Math.max(b(j, 1), b(j, 3));
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const ih = Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0);
  const iw = Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  const inter = ih * iw;
  return inter / (areaI + areaJ - inter);
}

/**
 * face-api's ops/nonMaxSuppression (used by the tiny detector): repeatedly take the highest score
 * and drop every remaining box whose IoU with it exceeds `iouThreshold`.
 */
export function nmsGreedy(boxes: { left: number; top: number; right: number; bottom: number }[], scores: number[], iouThreshold: number): number[] {
  let order = scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => a.score - b.score)
    .map((c) => c.index);
  const area = (k: number) => (boxes[k]!.right - boxes[k]!.left) * (boxes[k]!.bottom - boxes[k]!.top);
  const pick: number[] = [];
  while (order.length > 0) {
    const curr = order.pop()!;
    pick.push(curr);
    const a = boxes[curr]!;
    order = order.filter((idx) => {
      const o = boxes[idx]!;
      const w = Math.max(0, Math.min(a.right, o.right) - Math.max(a.left, o.left));
      const h = Math.max(0, Math.min(a.bottom, o.bottom) - Math.max(a.top, o.top));
      const inter = w * h;
      return inter / (area(curr) + area(idx) - inter) <= iouThreshold;
    });
  }
  return pick;
}
