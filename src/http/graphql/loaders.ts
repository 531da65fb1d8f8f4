// mercurius loaders: every Image.owner, Image.faces and Face.descriptor asked for while resolving
// one request is collected and answered with ONE query per field (users by ids, faces by image
// ids), so a page of images with owners and faces costs the same few queries whatever its size.

import type { MercuriusContext, MercuriusLoaders } from 'mercurius';
import type { CachedImagesQuery } from '../../queries/cache/cached-images-query.js';
import type { FaceView, ImageView } from '../../queries/images-query.js';
import type { UsersQuery } from '../../queries/users-query.js';

/** A face as resolvers pass it on: which image and which face, for the descriptor loader. */
export interface FaceNode extends FaceView {
  imageId: string;
  index: number;
}

const unique = (ids: string[]) => [...new Set(ids)];

export function createLoaders(images: CachedImagesQuery, users: UsersQuery): MercuriusLoaders {
  return {
    Image: {
      async owner(queries: { obj: ImageView }[]) {
        const byId = await users.byIds(unique(queries.map((q) => q.obj.ownerId)));
        return queries.map((q) => byId.get(q.obj.ownerId) ?? null);
      },
      async faces(queries: { obj: ImageView }[], context: MercuriusContext) {
        // Through the read cache (one Redis round trip, misses in one query).
        const byImage = await images.facesOf(unique(queries.map((q) => q.obj.imageId)), false, { consistentWith: context.readAtLeast });
        return queries.map((q) => (byImage.get(q.obj.imageId) ?? []).map((f, index): FaceNode => ({ ...f, imageId: q.obj.imageId, index })));
      },
    },
    Face: {
      async descriptor(queries: { obj: FaceNode }[], context: MercuriusContext) {
        const byImage = await images.facesOf(unique(queries.map((q) => q.obj.imageId)), true, { consistentWith: context.readAtLeast });
        return queries.map((q) => byImage.get(q.obj.imageId)?.[q.obj.index]?.descriptor ?? []);
      },
    },
  };
}
