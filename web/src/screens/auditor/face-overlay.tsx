// The photo with the face boxes of one analysis drawn over it (an SVG in the image's pixel
// coordinates, scaled with the picture). Without the picture (deleted, erased, not readable) the
// boxes are drawn on an empty frame of the image's size.

import type { Face } from './audit-api.js';

export function FaceOverlay(props: { url: string | undefined; width: number; height: number; faces: readonly Face[]; caption: string }) {
  const { width, height } = props;
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 250));
  return (
    <figure class="au-overlay">
      <div class="au-overlay-frame" style={{ aspectRatio: `${width} / ${height}` }}>
        {props.url ? <img src={props.url} alt="The photo as uploaded" /> : <div class="au-overlay-empty" />}
        <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
          {props.faces.map((f) => (
            <rect key={f.faceId} class="au-face-box" x={f.box.x} y={f.box.y} width={f.box.width} height={f.box.height} stroke-width={stroke} />
          ))}
        </svg>
      </div>
      <figcaption>{props.caption}</figcaption>
    </figure>
  );
}
