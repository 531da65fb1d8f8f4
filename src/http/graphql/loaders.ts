// mercurius loaders: every Image.owner, Image.faces and Face.descriptor asked for while resolving
// one request is collected and answered with ONE query per field (users by ids, faces by image
// ids), so a page of images with owners and faces costs the same few queries whatever its size.

import type { MercuriusLoaders } from 'mercurius';
import type { FaceView, ImagesQuery, ImageView } from '../../queries/images-query.js';
import type { UsersQuery } from '../../queries/users-query.js';

/** A face as resolvers pass it on: which image and which face, for the descriptor loader. */
export interface FaceNode extends FaceView {
  imageId: string;
  index: number;
}

const unique = (ids: string[]) => [...new Set(ids)];

export function createLoaders(images: ImagesQuery, users: UsersQuery): MercuriusLoaders {
  return {
    Image: {
      async owner(queries: { obj: ImageView }[]) {
        const byId = await users.byIds(unique(queries.map((q) => q.obj.ownerId)));
        return queries.map((q) => byId.get(q.obj.ownerId) ?? null);
      },
      async faces(queries: { obj: ImageView }[]) {
        const byImage = await images.facesOf(unique(queries.map((q) => q.obj.imageId)), false);
        return queries.map((q) => (byImage.get(q.obj.imageId) ?? []).map((f, index): FaceNode => ({ ...f, imageId: q.obj.imageId, index })));
      },
    },
    Face: {
      async descriptor(queries: { obj: FaceNode }[]) {
        const byImage = await images.facesOf(unique(queries.map((q) => q.obj.imageId)), true);
        return queries.map((q) => byImage.get(q.obj.imageId)?.[q.obj.index]?.descriptor ?? []);
      },
    },
  };
}
