// Live changes to the caller's images (GraphQL subscription myImages: uploaded, analysed, failed,
// as each projection commit lands), in the REST list's shape.

import { useEffect, useRef } from 'preact/hooks';
import { subscribe } from '../../api/graphql.js';
import type { ImageSummary } from './images-api.js';

const MY_IMAGES = /* GraphQL */ `
  subscription {
    myImages { id filename width height status faceCount error { code message } uploadedAt updatedAt }
  }
`;

interface LiveImage extends Omit<ImageSummary, 'imageId'> {
  id: string;
}

/** Calls `onImage` with each change while mounted (the latest callback; one subscription). */
export function useMyImages(onImage: (image: ImageSummary) => void, onError?: (err: unknown) => void): void {
  const latest = useRef(onImage);
  latest.current = onImage;
  const latestError = useRef(onError);
  latestError.current = onError;
  useEffect(
    () =>
      subscribe<{ myImages: LiveImage }>(
        MY_IMAGES,
        {},
        ({ myImages: { id, ...rest } }) => latest.current({ imageId: id, ...rest }),
        (err) => latestError.current?.(err),
      ),
    [],
  );
}

/** Whether `next` is at least as new as `current` (updates may arrive before or after a list read). */
export const isNewer = (next: ImageSummary, current: ImageSummary | undefined) => !current || next.updatedAt >= current.updatedAt;
