// mercurius loaders: every Image.owner, Image.faces and Face.descriptor asked for while resolving
// one request is collected and answered with ONE query per field (users by ids, faces by image
// ids), so a page of images with owners and faces costs the same few queries whatever its size.

import type { MercuriusContext, MercuriusLoaders } from 'mercurius';
import type { CachedImagesQuery } from '../../../queries/images/cached-images-query.js';
import type { FaceView, ImageView } from '../../../queries/images/images-query.js';
import type { UsersQuery } from '../../../queries/identity/users-query.js';
import { noteAccess } from '../access-reads.js';

/** A face as resolvers pass it on: which image and which face, for the descriptor loader. */
export interface FaceNode extends FaceView {
  imageId: string;
  /** The image's owner: the data subject of the access record (access-reads.ts). */
  ownerId: string;
  index: number;
}

const unique = (ids: string[]) => [...new Set(ids)];

/**
 * Faces read together with their image (the read cache holds them in one entry): `image(id)`
 * attaches them, so the faces loader needs no second lookup for that image.
 */
const PRELOADED_FACES = Symbol('preloaded faces');
type WithFaces = ImageView & { [PRELOADED_FACES]?: FaceView[] };

export function withPreloadedFaces(image: ImageView, faces: FaceView[]): ImageView {
  return Object.assign({ ...image }, { [PRELOADED_FACES]: faces });
}

export function createLoaders(images: CachedImagesQuery, users: UsersQuery): MercuriusLoaders {
  return {
    Image: {
      async owner(queries: { obj: ImageView }[], context: MercuriusContext) {
        context.memo?.untracked(); // rm.users, not a read-cache entry
        const byId = await users.byIds(unique(queries.map((q) => q.obj.ownerId)));
        return queries.map((q) => byId.get(q.obj.ownerId) ?? null);
      },
      async faces(queries: { obj: WithFaces }[], context: MercuriusContext) {
        // Through the read cache (one Redis round trip, misses in one query), unless preloaded.
        const needed = unique(queries.filter((q) => q.obj[PRELOADED_FACES] === undefined).map((q) => q.obj.imageId));
        const byImage = needed.length > 0 ? await images.facesOf(needed, false, { consistentWith: context.readAtLeast, dependencies: context.memo }) : new Map<string, FaceView[]>();
        const out = queries.map((q) => (q.obj[PRELOADED_FACES] ?? byImage.get(q.obj.imageId) ?? []).map((f, index): FaceNode => ({ ...f, imageId: q.obj.imageId, ownerId: q.obj.ownerId, index })));
        noteAccess(context, queries.flatMap((q, i) => (out[i]!.length > 0 ? [{ subjectId: q.obj.ownerId, imageIds: [q.obj.imageId] }] : [])), ['faces', 'landmarks'], 'Image.faces');
        return out;
      },
    },
    Face: {
      async descriptor(queries: { obj: FaceNode }[], context: MercuriusContext) {
        const byImage = await images.facesOf(unique(queries.map((q) => q.obj.imageId)), true, { consistentWith: context.readAtLeast, dependencies: context.memo });
        noteAccess(context, queries.map((q) => ({ subjectId: q.obj.ownerId, imageIds: [q.obj.imageId] })), ['descriptors'], 'Face.descriptor');
        return queries.map((q) => byImage.get(q.obj.imageId)?.[q.obj.index]?.descriptor ?? []);
      },
    },
  };
}
