// What the user screens read of images (GET /v1/images…) and the calls they make: a page of the
// gallery, one image with its faces, its bytes or thumbnail as a blob URL, deletion.

import { api, apiResponse, get } from '../../api/client.js';

export type ImageStatus = 'pending' | 'analyzed' | 'failed';

/** An image as GET /v1/images lists it (the fields the screens use). */
export interface ImageSummary {
  imageId: string;
  filename: string;
  width: number;
  height: number;
  status: ImageStatus;
  faceCount: number | null;
  error: { code: string; message: string } | null;
  uploadedAt: string;
  updatedAt: string;
}

export interface Face {
  faceId: string;
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** 68 points, iBUG/dlib order, image pixels. */
  landmarks: [number, number][];
}

export interface ImageWithFaces extends ImageSummary {
  ownerId: string;
  contentType: string;
  bytes: number;
  model: { name: string; version: string } | null;
  faces: Face[];
}

export interface ImagePage {
  items: ImageSummary[];
  nextCursor: string | null;
}

/** What DELETE /v1/images/:id answers: the erasure receipt when it completed within the wait. */
export interface DeleteAnswer {
  imageId: string;
  position: string | null;
  erasureId?: string;
  erasureStatus?: 'completed' | 'pending';
  receipt?: string;
}

export const GALLERY_PAGE = 60;
export const THUMBNAIL_SIZE = 256;

const q = (params: Record<string, string | number | null | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

export const listImages = (opts: { cursor?: string | null; consistentWith?: string | null; signal?: AbortSignal }) =>
  get<ImagePage>(`/v1/images${q({ limit: GALLERY_PAGE, cursor: opts.cursor, consistentWith: opts.consistentWith })}`, { signal: opts.signal });

export const imageWithFaces = (imageId: string, signal?: AbortSignal) => get<ImageWithFaces>(`/v1/images/${encodeURIComponent(imageId)}`, { signal });

export const deleteImage = (imageId: string) => api<DeleteAnswer>('DELETE', `/v1/images/${encodeURIComponent(imageId)}`);

/** A blob: URL of the image's thumbnail or its original bytes (the caller revokes it). */
export async function imageBlobUrl(imageId: string, kind: { thumbnail: number } | 'content', signal?: AbortSignal): Promise<string> {
  const path = kind === 'content' ? `/v1/images/${encodeURIComponent(imageId)}/content` : `/v1/images/${encodeURIComponent(imageId)}/thumbnail?size=${kind.thumbnail}`;
  const response = await apiResponse('GET', path, { signal });
  return URL.createObjectURL(await response.blob());
}
