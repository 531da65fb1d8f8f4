// Each face of a photo paired with the same face found in its mirror image (issue 17: a photo
// searched with is analysed both ways, since front cameras often mirror and the descriptor model is
// not mirror-invariant: a mirrored copy of a sample lies up to 0.59 from its original, its
// mirror image's descriptor within 0.29). Paired by box centre, mirrored back, within half the box
// width; a face without a twin has none.

import type { Face } from './types.js';

export function mirrorTwins(faces: readonly Face[], mirrored: readonly Face[], width: number): (Face | undefined)[] {
  return faces.map((f) => {
    const cx = f.box.x + f.box.width / 2;
    const cy = f.box.y + f.box.height / 2;
    let best: Face | undefined;
    let bestGap = f.box.width / 2;
    for (const g of mirrored) {
      const gap = Math.hypot(width - (g.box.x + g.box.width / 2) - cx, g.box.y + g.box.height / 2 - cy);
      if (gap < bestGap) {
        best = g;
        bestGap = gap;
      }
    }
    return best;
  });
}
