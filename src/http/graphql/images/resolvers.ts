// Images: visibility is the query services' (ImagesQuery: own images, all for admins and
// auditors); an image the caller may not see is null with the REST code (image_not_found), never
// a different error. Also User.images: a user's images as they themself see them.

import type { IResolvers } from 'mercurius';
import { viewerOf, type Viewer } from '../../../domain/identity/viewer.js';
import { maySeeImagesOf } from '../../../domain/images/visibility.js';
import type { ImageListOptions, ImagePage, ImageView } from '../../../queries/images/images-query.js';
import type { UserView } from '../../../queries/identity/users-query.js';
import { dayRange } from '../../../queries/dates.js';
import { consistentReads, orNone, readAt, UUID, type Consistent } from '../arguments.js';
import { connection, type PageArgs } from '../connection.js';
import type { GraphqlContext } from '../context.js';
import { gqlError } from '../errors.js';
import { pageSize } from '../limits.js';
import type { GraphqlPartDeps } from '../part.js';
import { withPreloadedFaces, type FaceNode } from './loaders.js';

export const imageNotFound = () => gqlError('image_not_found', 'no such image', 404);

interface ImagesArgs extends PageArgs, Consistent {
  status?: ImageView['status'] | null;
  uploadedFrom?: string | null;
  uploadedTo?: string | null;
  ordering?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null;
}

/**
 * Landmarks as {x, y}, converted once per landmark array: the read cache hands every request the
 * same frozen arrays, and 68 new objects per face per request were a good part of the GC work.
 */
const points = new WeakMap<FaceNode['landmarks'], readonly { x: number; y: number }[]>();
function pointsOf(landmarks: FaceNode['landmarks']): readonly { x: number; y: number }[] {
  let out = points.get(landmarks);
  if (!out) {
    out = Object.freeze(landmarks.map(([x, y]) => Object.freeze({ x, y })));
    points.set(landmarks, out);
  }
  return out;
}

export function imagesResolvers(deps: Pick<GraphqlPartDeps, 'images' | 'ensureConsistent' | 'limits'>): IResolvers {
  const consistent = consistentReads(deps.ensureConsistent);

  const listImages = (viewer: Viewer, args: ImagesArgs, ctx: GraphqlContext): Promise<ImagePage> => {
    const opts: ImageListOptions = {
      status: orNone(args.status),
      uploadedFrom: orNone(args.uploadedFrom),
      uploadedTo: orNone(args.uploadedTo),
      ordering: args.ordering === 'OLDEST_FIRST' ? 'uploadedAt' : '-uploadedAt',
      cursor: orNone(args.after),
      limit: pageSize(args.first, deps.limits.maxFirst),
    };
    return deps.images.list(viewer, opts, readAt(args, ctx));
  };

  return {
    Query: {
      async image(_root: unknown, args: { id: string } & Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        await consistent(args, 'images', ctx);
        // With its faces: one cache entry holds both, so Image.faces needs no second lookup.
        const image = UUID.test(args.id) ? await deps.images.getWithFaces(viewerOf(principal), args.id.toLowerCase(), false, readAt(args, ctx)) : undefined;
        if (!image) throw imageNotFound();
        const { faces, ...view } = image;
        return withPreloadedFaces(view, faces);
      },
      async images(_root: unknown, args: ImagesArgs, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        await consistent(args, 'images', ctx);
        return connection(await listImages(viewerOf(principal), args, ctx));
      },
      async stats(_root: unknown, args: { from?: string | null; to?: string | null } & Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        await consistent(args, 'images', ctx);
        // REST's rule: days in range (invalid_date), from ≤ to, at most 366 days (invalid_range).
        const { from, to } = dayRange(args);
        return deps.images.stats(viewerOf(principal), from, to);
      },
    },
    User: {
      async images(u: UserView, args: ImagesArgs, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        if (!maySeeImagesOf(principal, u.userId)) throw gqlError('forbidden', "only admins and auditors see another user's images", 403);
        // The user's images as they themself see them.
        return connection(await listImages({ userId: u.userId, role: 'user' }, args, ctx));
      },
    },
    Image: {
      id: (i: ImageView) => i.imageId,
    },
    Face: {
      landmarks: (f: FaceNode) => pointsOf(f.landmarks),
    },
  };
}
