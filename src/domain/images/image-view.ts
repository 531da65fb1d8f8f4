// The image view: an image as the read side shows it, folded from its stream `image-<uuid>`. The
// one fold behind the images projection (rm.images, rm.faces), time travel and, through the
// projected rows, the current reads and the live notices.

import type { Position } from '../../eventstore/types.js';
import { isErased } from '../../privacy/declarations.js';
import { textOrTombstone } from '../privacy/tombstone.js';
import type { EventMeta, ViewFold } from '../view-fold.js';
import type { FaceRecord, ImageAnalyzed, ImageEvent } from './image-events.js';

export const IMAGE_STATUSES = ['pending', 'analyzed', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** The image's own fields (a row of rm.images). */
export interface ImageFields {
  imageId: string;
  ownerId: string;
  filename: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
  /** Pending again on every analysis request; the last analysis's results stay until the next. */
  status: ImageStatus;
  faceCount: number | null;
  modelName: string | null;
  modelVersion: string | null;
  modelSha256: string | null;
  analysisMs: number | null;
  /** The last failure; cleared by the next analysis. */
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  uploadedAt: Date;
  analyzedAt: Date | null;
  updatedAt: Date;
  /** Set by ImageDeleted: the image is gone from the current reads (the row stays). */
  deletedAt: Date | null;
  /** Revision and log position of the last event folded. */
  revision: bigint;
  lastPosition: Position;
}

/** The faces an image shows since an event: the ImageAnalyzed that found them or the ImageDeleted that removed them. */
export interface CurrentFaces {
  event: string;
  count: number;
  /** Undefined when the event was delivered without them (EventFilter.omitData): they are still in the log. */
  faces: FaceRecord[] | undefined;
}

export interface ImageViewState extends ImageFields {
  /**
   * The faces as the events folded into this state set them; null when none of those events did
   * (before the first analysis, or over a state loaded from rm.images, whose faces stay in rm.faces).
   */
  faces: CurrentFaces | null;
}

export const isDeleted = (view: Pick<ImageFields, 'deletedAt'>): boolean => view.deletedAt !== null;

/** The faces an ImageAnalyzed sets; its number from `faceCount` when the faces were left out. Erased faces (key shredded) are none, with the count recorded in clear. */
function analyzedFaces(data: ImageAnalyzed['data'], meta: EventMeta): CurrentFaces {
  const raw = (data as { faces?: unknown }).faces;
  const erased = isErased(raw);
  const delivered = erased ? [] : (raw as FaceRecord[] | undefined);
  const count = erased ? data.faceCount : (delivered?.length ?? data.faceCount);
  if (count === undefined) throw new Error(`ImageAnalyzed ${meta.id}: the faces were left out and their number is not known`);
  return { event: meta.id, count, faces: delivered };
}

const touched = (view: ImageViewState, meta: EventMeta, changes: Partial<ImageViewState>): ImageViewState => ({
  ...view,
  ...changes,
  updatedAt: meta.recordedAt,
  revision: meta.revision,
  lastPosition: meta.position,
});

export const imageViewFold: ViewFold<ImageEvent, ImageViewState> = {
  initialState: undefined,

  evolve(view, event, meta) {
    if (event.type === 'ImageUploaded') {
      if (view) return view; // cannot happen: the decider refuses a second upload
      const d = event.data;
      return {
        imageId: d.imageId,
        ownerId: d.ownerId,
        filename: textOrTombstone(d.filename),
        contentType: d.contentType,
        bytes: d.bytes,
        width: d.width,
        height: d.height,
        sha256: d.sha256,
        status: 'pending',
        faceCount: null,
        modelName: null,
        modelVersion: null,
        modelSha256: null,
        analysisMs: null,
        lastErrorCode: null,
        lastErrorMessage: null,
        uploadedAt: meta.recordedAt,
        analyzedAt: null,
        updatedAt: meta.recordedAt,
        deletedAt: null,
        revision: meta.revision,
        lastPosition: meta.position,
        faces: null,
      };
    }
    if (!view) return view; // nothing before the upload shapes an image
    switch (event.type) {
      case 'ImageAnalysisRequested':
        return touched(view, meta, { status: 'pending' });
      case 'ImageAnalyzed': {
        const { model, durationMs } = event.data;
        const faces = analyzedFaces(event.data, meta);
        return touched(view, meta, {
          status: 'analyzed',
          faceCount: faces.count,
          modelName: model.name,
          modelVersion: model.version,
          modelSha256: model.sha256,
          analysisMs: Math.round(durationMs),
          analyzedAt: meta.recordedAt,
          lastErrorCode: null,
          lastErrorMessage: null,
          faces,
        });
      }
      case 'ImageAnalysisFailed':
        return touched(view, meta, { status: 'failed', lastErrorCode: event.data.error.code, lastErrorMessage: event.data.error.message });
      case 'ImageDeleted':
        return touched(view, meta, { deletedAt: meta.recordedAt, faces: { event: meta.id, count: 0, faces: [] } });
      case 'ImageFacesErased':
        // The faces are gone (their key is shredded); the count of the analysis stays, in clear.
        return touched(view, meta, { faces: { event: meta.id, count: 0, faces: [] } });
      case 'ImageErased':
        return undefined; // gone from the read side: no row, no tombstone with content

      default:
        return view; // an event this view does not read
    }
  },
};
