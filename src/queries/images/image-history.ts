// Time travel for images (the kernel: ../time-travel.ts): an image as it was at a point in the
// past, folded straight from its event stream with the image view's fold
// (src/domain/images/image-view.ts), the one the images projection folds with, so the view at
// the newest point equals the current read (except descriptors, which the current read answers
// as float32 (real) and the events keep as float64). No read model is involved.

import type { Viewer } from '../../domain/identity/viewer.js';
import { imageStream, type FaceRecord } from '../../domain/images/image-events.js';
import { imageViewFold, isDeleted } from '../../domain/images/image-view.js';
import { maySeeImage } from '../../domain/images/visibility.js';
import { foldView } from '../../domain/view-fold.js';
import type { EventStore, RecordedEvent } from '../../eventstore/types.js';
import { prefixAsOf, type AsOf } from '../time-travel.js';
import { imageViewOf, type FaceView, type ImageView } from './images-query.js';
import { faceIdOf } from '../../domain/images/face-id.js';

export interface ImageSnapshot {
  image: ImageView;
  /** The latest analysis's faces, descriptors included (empty once deleted). */
  faces: FaceRecord[];
  deleted: boolean;
  /** Revision of the last event folded. */
  revision: bigint;
}

/** Folds an image stream (or a prefix of it) into the image as the read side shows it. */
export function foldImage(events: readonly RecordedEvent[]): ImageSnapshot | undefined {
  // An erased image is gone from the read models (the view fold ends it); its history stays, as a
  // deleted image's does: folded without the ImageErased, with its personal fields read as erased
  // (tombstones: filename '[erased]', no faces), and deleted from the erasure on.
  const erased = events.some((e) => e.type === 'ImageErased');
  const view = foldView(imageViewFold, erased ? events.filter((e) => e.type !== 'ImageErased') : events);
  return view && { image: imageViewOf(view), faces: view.faces?.faces ?? [], deleted: erased || isDeleted(view), revision: view.revision };
}

/**
 * The image visibility rule (domain/images/visibility.ts) applied to the whole history, judged on
 * the image as it is now: an image its owner deleted stays hidden from them at every point, also
 * before the deletion; admins and auditors see every image at every point.
 */
export function imageVisibleTo(viewer: Viewer, current: Pick<ImageSnapshot, 'image' | 'deleted'>): boolean {
  return maySeeImage(viewer, { ownerId: current.image.ownerId, deleted: current.deleted });
}

/** The REST shape of a snapshot: the current read's fields plus faces. */
export function imageResponse(snap: ImageSnapshot, includeDescriptor: boolean): ImageView & { faces: FaceView[] } {
  return {
    ...snap.image,
    faces: snap.faces.map((f, index) => ({
      faceId: faceIdOf(snap.image.imageId, snap.image.model?.sha256 ?? '', index),
      box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
      score: f.score,
      landmarks: f.landmarks,
      ...(includeDescriptor ? { descriptor: f.descriptor } : {}),
    })),
  };
}

/** Images as they were, read over the EventStore port. */
export class ImageHistory {
  constructor(private readonly store: EventStore) {}

  /**
   * The image as `viewer` may see it at `asOf`; undefined (404) when the viewer may not see it,
   * it did not exist yet, or it was deleted by then.
   */
  async at(viewer: Viewer, imageId: string, asOf: AsOf): Promise<ImageSnapshot | undefined> {
    // The whole stream: who owns the image and whether it is deleted now decide visibility.
    const events: RecordedEvent[] = [];
    for await (const e of this.store.readStream(imageStream(imageId))) events.push(e);
    const current = foldImage(events);
    if (!current || !imageVisibleTo(viewer, current)) return undefined;
    const then = foldImage(prefixAsOf(events, asOf));
    return then && !then.deleted ? then : undefined;
  }
}
