// A face cut out of its photo: an SVG whose viewBox is the face box (with a margin) over the whole
// picture drawn at its original size, so the box needs no scaling whatever picture is shown.

import { useEffect, useState } from 'preact/hooks';
import type { Box } from './people-api.js';
import { acquirePicture, imageFaces, releasePicture } from './image-source.js';

/** Room around the box, as a share of its size. */
const MARGIN = 0.25;

export function CropView(props: { url: string; width: number; height: number; box: Box; label: string; size?: number }) {
  const { box, width, height } = props;
  const mx = box.width * MARGIN;
  const my = box.height * MARGIN;
  const x = Math.max(0, box.x - mx);
  const y = Math.max(0, box.y - my);
  const w = Math.min(width, box.x + box.width + mx) - x;
  const h = Math.min(height, box.y + box.height + my) - y;
  const size = props.size ?? 96;
  return (
    <svg class="face-crop" role="img" aria-label={props.label} width={size} height={size} viewBox={`${x} ${y} ${w} ${h}`} preserveAspectRatio="xMidYMid slice">
      <image href={props.url} x={0} y={0} width={width} height={height} />
    </svg>
  );
}

/** A face of the gallery by its image and face ids. */
export function FaceCrop(props: { imageId: string; faceId: string; label: string; size?: number }) {
  const { imageId, faceId } = props;
  const [state, setState] = useState<{ url: string; width: number; height: number; box: Box } | { error: true } | undefined>();
  useEffect(() => {
    let live = true;
    const picture = acquirePicture(imageId);
    Promise.all([picture, imageFaces(imageId)]).then(
      ([url, shape]) => {
        const box = shape.boxes.get(faceId);
        if (live) setState(box ? { url, width: shape.width, height: shape.height, box } : { error: true });
      },
      () => live && setState({ error: true }),
    );
    return () => {
      live = false;
      releasePicture(imageId);
    };
  }, [imageId, faceId]);
  const size = props.size ?? 96;
  const common = { 'data-face-id': faceId, 'data-image-id': imageId };
  if (!state) return <span class="face-crop placeholder" style={{ width: size, height: size }} role="img" aria-label={`${props.label} (loading)`} {...common} />;
  if ('error' in state) return <span class="face-crop placeholder" style={{ width: size, height: size }} role="img" aria-label={`${props.label} (not available)`} {...common} />;
  return (
    <span class="face-crop-frame" {...common}>
      <CropView {...state} label={props.label} size={size} />
    </span>
  );
}
