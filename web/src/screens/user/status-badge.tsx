// An image's analysis status as a badge: pending, analysed (with its face count) or failed.

import type { ImageSummary } from './images-api.js';

export function statusText(image: Pick<ImageSummary, 'status' | 'faceCount'>): string {
  if (image.status === 'analyzed') return image.faceCount === 1 ? 'analyzed · 1 face' : `analyzed · ${image.faceCount ?? 0} faces`;
  return image.status;
}

export function StatusBadge(props: { image: Pick<ImageSummary, 'status' | 'faceCount' | 'error'> }) {
  const { image } = props;
  return (
    <span class={`badge badge-${image.status}`} data-status={image.status} data-face-count={image.faceCount ?? undefined} title={image.error ? `${image.error.code}: ${image.error.message}` : undefined}>
      {statusText(image)}
    </span>
  );
}
