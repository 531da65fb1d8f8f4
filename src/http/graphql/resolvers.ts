// Query and type resolvers: arguments in, src/queries out, nothing else. Visibility is the query
// services' (ImagesQuery: own images, all for admins and auditors); what a caller may not see is
// null with the REST code (image_not_found, user_not_found), never a different error.

import type { IResolvers } from 'mercurius';
import { comparePositions, cursorToPosition } from '../../eventstore/position.js';
import type { CachedImagesQuery, ReadOptions } from '../../queries/images/cached-images-query.js';
import type { ImageListOptions, ImagePage, ImageView, Viewer } from '../../queries/images/images-query.js';
import type { AuditFeed } from '../../queries/audit/audit-feed.js';
import type { UsersQuery, UserView } from '../../queries/identity/users-query.js';
import type { EnsureConsistent } from '../consistency.js';
import { requireStaff, seesEveryone, viewerOf, type GraphqlContext } from './context.js';
import { gqlError } from './errors.js';
import { graphql } from './graphql-cjs.js';
import { pageSize, type GraphqlLimits } from './limits.js';
import { withPreloadedFaces, type FaceNode } from './loaders.js';

export interface ResolverDeps {
  /** The REST routes' instance (behind the read cache when it is on). */
  images: CachedImagesQuery;
  users: UsersQuery;
  /** The audit feed (GET /v1/audit/events), for auditEvents. */
  audit: AuditFeed;
  ensureConsistent: EnsureConsistent;
  limits: GraphqlLimits;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export const imageNotFound = () => gqlError('image_not_found', 'no such image', 404);
const userNotFound = () => gqlError('user_not_found', 'no such user', 404);

interface Consistent {
  consistentWith?: string | null;
}
interface PageArgs {
  first?: number | null;
  after?: string | null;
}
interface ImagesArgs extends PageArgs, Consistent {
  status?: ImageView['status'] | null;
  uploadedFrom?: string | null;
  uploadedTo?: string | null;
  ordering?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null;
}

function connection<T>(page: { items: T[]; nextCursor: string | null; cursors: string[] }) {
  return {
    edges: page.items.map((node, i) => ({ cursor: page.cursors[i] ?? '', node })),
    pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.cursors.at(-1) ?? null },
  };
}

const orNone = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

/**
 * What the read cache must be at least as new as (the consistentWith already waited for), and
 * where the entries read are recorded for the response memo.
 */
const readAt = (args: Consistent, ctx?: GraphqlContext): ReadOptions => ({ consistentWith: args.consistentWith ? cursorToPosition(args.consistentWith) : undefined, dependencies: ctx?.memo });

interface AuditArgs {
  after?: string | null;
  first?: number | null;
  types?: string[] | null;
  streamPrefix?: string | null;
  actor?: string | null;
  from?: string | null;
  to?: string | null;
}

function instant(value: string | null | undefined, name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw gqlError('validation_failed', `${name} must be an ISO date-time`);
  return new Date(ms);
}

function day(value: string, name: string): string {
  if (!DAY.test(value) || Number.isNaN(Date.parse(value))) throw gqlError('validation_failed', `${name} must be a day (YYYY-MM-DD)`);
  return value;
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

export function createResolvers(deps: ResolverDeps): IResolvers {
  const consistent = async (args: Consistent, projection: string, ctx: GraphqlContext) => {
    await deps.ensureConsistent(orNone(args.consistentWith), [projection]);
    // Loaders (faces) read the cache too: no older than any position this request asked for.
    const at = readAt(args).consistentWith;
    if (at && (!ctx.readAtLeast || comparePositions(at, ctx.readAtLeast) > 0)) ctx.readAtLeast = at;
  };

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
    // Output only: event data and metadata as the feed shows them.
    JSON: new graphql.GraphQLScalarType({ name: 'JSON', serialize: (value: unknown) => value }),
    Query: {
      async me(_root: unknown, args: Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        await consistent(args, 'users', ctx);
        const user = await deps.users.byId(principal.userId);
        if (!user) throw gqlError('not_found', 'the user is not in the read model yet; pass consistentWith from the registration', 404);
        return user;
      },
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
        const to = args.to ? day(args.to, 'to') : new Date().toISOString().slice(0, 10);
        const from = args.from ? day(args.from, 'from') : new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
        if (from > to) throw gqlError('invalid_range', '"from" is after "to"');
        if (Date.parse(to) - Date.parse(from) > 366 * DAY_MS) throw gqlError('invalid_range', 'at most 366 days at a time');
        return deps.images.stats(viewerOf(principal), from, to);
      },
      async users(_root: unknown, args: PageArgs & Consistent, ctx: GraphqlContext) {
        requireStaff(await ctx.viewer());
        await consistent(args, 'users', ctx);
        return connection(await deps.users.list({ cursor: orNone(args.after), limit: pageSize(args.first, deps.limits.maxFirst) }));
      },
      async auditEvents(_root: unknown, args: AuditArgs, ctx: GraphqlContext) {
        requireStaff(await ctx.viewer());
        return deps.audit.page({
          after: args.after ? cursorToPosition(args.after) : undefined,
          limit: pageSize(args.first, deps.limits.maxFirst),
          types: args.types && args.types.length > 0 ? args.types : undefined,
          streamPrefix: orNone(args.streamPrefix),
          actorId: orNone(args.actor),
          from: instant(args.from, 'from'),
          to: instant(args.to, 'to'),
        });
      },
      async user(_root: unknown, args: { id: string } & Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        if (!UUID.test(args.id)) throw userNotFound();
        const id = args.id.toLowerCase();
        if (id !== principal.userId && !seesEveryone(principal)) throw userNotFound();
        await consistent(args, 'users', ctx);
        const user = await deps.users.byId(id);
        if (!user) throw userNotFound();
        return user;
      },
    },
    User: {
      id: (u: UserView) => u.userId,
      async images(u: UserView, args: ImagesArgs, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        if (u.userId !== principal.userId && !seesEveryone(principal)) throw gqlError('forbidden', "only admins and auditors see another user's images", 403);
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
