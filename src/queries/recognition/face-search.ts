// Face search and 1:1 verification over a user's own gallery (issue 17). Only descriptors of one
// model are ever compared: a face is searched among the faces its own analysis model found, and two
// faces of different models are not verified (409 models_differ). A match is a face within the
// threshold (Euclidean distance between descriptors); a search with none answers `unknown`.

import { DomainError } from '../../domain/decider.js';
import type { DescriptorScan } from '../../inference/descriptor-scan.js';
import type { FaceGalleries } from './face-galleries.js';
import { distanceAt, type FaceGallery, type GalleryMatch } from './face-gallery.js';

/** The most matches one search answers. */
export const MAX_MATCHES = 100;

export interface MatchView extends GalleryMatch {
  /** The person the face is assigned to, else null. */
  personId: string | null;
}

export interface SearchResult {
  matches: MatchView[];
  unknown: boolean;
  threshold: number;
  /** The model whose descriptors were compared (its sha256). */
  modelSha256: string;
  /** The gallery searched: how many faces of that model. */
  gallerySize: number;
}

export interface VerifyResult {
  distance: number;
  match: boolean;
  threshold: number;
  modelSha256: string;
  faces: { faceId: string; imageId: string }[];
}

const faceNotFound = (faceId: string) => new DomainError('not_found', 'face_not_found', `no face ${faceId} in your gallery`);

export class FaceSearch {
  constructor(
    private readonly galleries: FaceGalleries,
    private readonly scan: () => Promise<DescriptorScan>,
    /** The person each face belongs to now (the people read model). */
    private readonly people: { personsOf(faceIds: readonly string[]): Promise<Map<string, string>> },
  ) {}

  /** The face among the owner's galleries, with the gallery of its model. */
  private async find(ownerId: string, faceId: string): Promise<{ gallery: FaceGallery; imageId: string; descriptor: Float32Array }> {
    for (const gallery of (await this.galleries.of(ownerId)).values()) {
      const face = gallery.face(faceId);
      if (face) return { gallery, ...face };
    }
    throw faceNotFound(faceId);
  }

  /** The nearest faces to one of the owner's faces (itself left out). */
  async byFace(ownerId: string, faceId: string, opts: { k: number; threshold: number }): Promise<SearchResult & { query: { faceId: string; imageId: string } }> {
    const { gallery, imageId, descriptor } = await this.find(ownerId, faceId);
    const result = await this.within(gallery, [descriptor], opts, faceId);
    return { ...result, query: { faceId, imageId } };
  }

  /**
   * The nearest faces to one face of a photo, given as the descriptors model `modelSha256` computed
   * for it (the face, and the same face in the mirrored photo: nearest by the least distance). A
   * gallery holding only faces of other models cannot answer (409 models_differ).
   */
  async byDescriptors(ownerId: string, modelSha256: string, descriptors: readonly Float32Array[], opts: { k: number; threshold: number }): Promise<SearchResult> {
    const galleries = await this.galleries.of(ownerId);
    const gallery = galleries.get(modelSha256);
    if (!gallery) {
      if (galleries.size > 0) throw new DomainError('conflict', 'models_differ', 'your gallery was analysed by another model than the one analysing this photo, and descriptors of different models are not comparable; re-analyse your images first');
      return { matches: [], unknown: true, threshold: opts.threshold, modelSha256, gallerySize: 0 };
    }
    return this.within(gallery, descriptors, opts);
  }

  private async within(gallery: FaceGallery, descriptors: readonly Float32Array[], opts: { k: number; threshold: number }, exclude?: string): Promise<SearchResult> {
    const nearest = await gallery.nearest(await this.scan(), descriptors, Math.min(opts.k, MAX_MATCHES), exclude);
    const within = nearest.filter((m) => m.distance <= opts.threshold);
    const persons = await this.people.personsOf(within.map((m) => m.faceId));
    const matches = within.map((m) => ({ ...m, personId: persons.get(m.faceId) ?? null }));
    return { matches, unknown: matches.length === 0, threshold: opts.threshold, modelSha256: gallery.modelSha256, gallerySize: gallery.size };
  }

  /**
   * Whether one of the owner's faces is one of their people: its distance to the nearest of the
   * person's faces of the same model, against the threshold (409 models_differ when it has none).
   */
  async verifyPerson(ownerId: string, faceId: string, personFaces: readonly string[], threshold: number): Promise<VerifyResult> {
    const face = await this.find(ownerId, faceId);
    let best: { faceId: string; imageId: string; distance: number } | undefined;
    for (const other of personFaces) {
      if (other === faceId) continue;
      const candidate = face.gallery.face(other);
      if (!candidate) continue;
      const distance = distanceAt(face.descriptor, 0, candidate.descriptor);
      if (!best || distance < best.distance) best = { faceId: other, imageId: candidate.imageId, distance };
    }
    if (!best) throw new DomainError('conflict', 'models_differ', 'the person has no other face found by the model that found this one, so there is nothing comparable');
    return {
      distance: best.distance,
      match: best.distance <= threshold,
      threshold,
      modelSha256: face.gallery.modelSha256,
      faces: [
        { faceId, imageId: face.imageId },
        { faceId: best.faceId, imageId: best.imageId },
      ],
    };
  }

  /** Whether two of the owner's faces are the same person: their distance against the threshold. */
  async verify(ownerId: string, faceIds: readonly [string, string], threshold: number): Promise<VerifyResult> {
    const [a, b] = await Promise.all([this.find(ownerId, faceIds[0]), this.find(ownerId, faceIds[1])]);
    if (a.gallery.modelSha256 !== b.gallery.modelSha256) {
      throw new DomainError('conflict', 'models_differ', 'the two faces were found by different analysis models, whose descriptors are not comparable; re-analyse the older image first');
    }
    const distance = distanceAt(a.descriptor, 0, b.descriptor);
    return {
      distance,
      match: distance <= threshold,
      threshold,
      modelSha256: a.gallery.modelSha256,
      faces: [
        { faceId: faceIds[0], imageId: a.imageId },
        { faceId: faceIds[1], imageId: b.imageId },
      ],
    };
  }
}
