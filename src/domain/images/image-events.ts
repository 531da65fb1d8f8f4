import type { DomainEvent } from '../decider.js';

export interface ModelRef {
  name: string;
  version: string;
}
export interface ModelIdentity extends ModelRef {
  sha256: string;
}
export interface FaceRecord {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: [number, number][];
  descriptor: number[];
}

export type AnalysisReason = 'uploaded' | 'user_request' | 'stale_model' | 'stuck_pending';

export type ImageUploaded = DomainEvent<
  'ImageUploaded',
  { imageId: string; ownerId: string; filename: string; contentType: string; bytes: number; width: number; height: number; sha256: string }
>;
export type ImageAnalysisRequested = DomainEvent<'ImageAnalysisRequested', { model: ModelRef; reason: AnalysisReason }>;
/**
 * `requestId` is the id of the ImageUploaded / ImageAnalysisRequested event this result answers.
 * `faceCount` = `faces.length`, so a reader that needs only the number can read the event without
 * its faces (EventFilter.omitData); absent in events recorded before it was added (same schema
 * version: an added optional field), where readers count `faces`.
 */
export type ImageAnalyzed = DomainEvent<'ImageAnalyzed', { requestId: string; model: ModelIdentity; faces: FaceRecord[]; faceCount?: number; durationMs: number }>;
export type ImageAnalysisFailed = DomainEvent<
  'ImageAnalysisFailed',
  { requestId: string; model: ModelRef; error: { code: string; message: string }; attempts: number }
>;
export type ImageDeleted = DomainEvent<'ImageDeleted', { reason: string }>;
/**
 * The image is erased by erasure `erasureId` (issue 15): its keys are shredded, so its filename and
 * faces read as erased, its bytes are deleted, and it is gone from every read model. Like deleted
 * for every later command. `ownerId` (clear, as on ImageUploaded) lets the read side invalidate
 * the owner's gallery once the image's row is gone.
 */
export type ImageErased = DomainEvent<'ImageErased', { erasureId: string; reason: string; ownerId: string }>;
/** The faces of the image were erased (a consent withdrawal, erasure `erasureId`); the image stays. */
export type ImageFacesErased = DomainEvent<'ImageFacesErased', { erasureId: string; purpose: string }>;

export type ImageEvent = ImageUploaded | ImageAnalysisRequested | ImageAnalyzed | ImageAnalysisFailed | ImageDeleted | ImageErased | ImageFacesErased;

export const imageStream = (imageId: string) => `image-${imageId}`;
export const IMAGE_EVENT_TYPES = ['ImageUploaded', 'ImageAnalysisRequested', 'ImageAnalyzed', 'ImageAnalysisFailed', 'ImageDeleted', 'ImageErased', 'ImageFacesErased'] as const;
