// Where a face crop's pixels come from: one blob URL per image, fetched with the Bearer header
// (an <img> cannot send it) and shared by every crop of that image while any is on screen
// (revoked when the last one goes), and the image's size and face boxes (GET /v1/images/:id).
// The crop is drawn in the original's pixel coordinates, so any picture of the whole image
// serves: switching to a thumbnail (GET /v1/images/:id/thumbnail?size=…) is the one line of
// `pictureUrl`.

import { apiResponse, get } from '../../api/client.js';
import type { Box } from './people-api.js';

/** The picture a crop shows: the original bytes (a thumbnail would do as well). */
const pictureUrl = (imageId: string) => `/v1/images/${imageId}/content`;

export interface ImageFaces {
  width: number;
  height: number;
  filename: string;
  boxes: Map<string, Box>;
}

const shapes = new Map<string, Promise<ImageFaces>>();

/** The image's size and each face's box (read once per page load; faces of one analysis never move). */
export function imageFaces(imageId: string): Promise<ImageFaces> {
  let shape = shapes.get(imageId);
  if (!shape) {
    shape = get<{ width: number; height: number; filename: string; faces: { faceId: string; box: Box }[] }>(`/v1/images/${imageId}`).then((i) => ({
      width: i.width,
      height: i.height,
      filename: i.filename,
      boxes: new Map(i.faces.map((f) => [f.faceId, f.box])),
    }));
    shape.catch(() => shapes.delete(imageId)); // a failure is not remembered
    shapes.set(imageId, shape);
  }
  return shape;
}

const pictures = new Map<string, { users: number; url: Promise<string> }>();

/** A blob URL of the image's picture, held until release() is called as often as acquire(). */
export function acquirePicture(imageId: string): Promise<string> {
  let entry = pictures.get(imageId);
  if (!entry) {
    const url = apiResponse('GET', pictureUrl(imageId))
      .then((r) => r.blob())
      .then((b) => URL.createObjectURL(b));
    entry = { users: 0, url };
    pictures.set(imageId, entry);
    url.catch(() => pictures.get(imageId) === entry && pictures.delete(imageId));
  }
  entry.users++;
  return entry.url;
}

export function releasePicture(imageId: string): void {
  const entry = pictures.get(imageId);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0) return;
  pictures.delete(imageId);
  entry.url.then((url) => URL.revokeObjectURL(url), () => undefined);
}
