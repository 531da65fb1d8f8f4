// GET /v1/images/:imageId/thumbnail: the image fitted inside size × size (64–512, default 256),
// WebP or JPEG, for galleries. Authorised and recorded in the access log exactly as /content (it
// is the content, smaller). The image is looked up (existence and visibility) first; only then is
// the in-process cache of resized bytes consulted, so a deleted or erased image is a 404 even
// while its thumbnail is still cached. The ETag names content, size and format; a matching
// If-None-Match is a 304 with neither a blob read nor a resize.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AccessLog } from '../../../commands/access/access-log.js';
import type { BlobStore } from '../../../blobs/blob-store.js';
import { viewerOf } from '../../../domain/identity/viewer.js';
import { cursorToPosition } from '../../../eventstore/position.js';
import { makeThumbnail, THUMBNAIL_FORMATS, type ThumbnailFormat } from '../../../inference/thumbnail.js';
import type { CachedImagesQuery } from '../../../queries/images/cached-images-query.js';
import { recordAccess } from '../../access-log-hook.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { HttpProblem } from '../../problem.js';
import { binary, PositionCursor, responses, Uuid } from '../../schemas.js';
import { ThumbnailCache } from './thumbnail-cache.js';

export const THUMBNAIL_MIN = 64;
export const THUMBNAIL_MAX = 512;
export const THUMBNAIL_DEFAULT = 256;
/**
 * Browsers keep a thumbnail five minutes, then revalidate (a cheap 304): short, so a deleted or
 * erased image leaves their caches soon; the bytes of one image id never change.
 */
export const THUMBNAIL_CACHE_CONTROL = 'private, max-age=300';
/** Bumped when the resize changes, so browsers do not keep an older rendering. */
const RENDERING = 'r1';

export interface ThumbnailRouteDeps {
  query: Pick<CachedImagesQuery, 'get'>;
  blobs: Pick<BlobStore, 'get'>;
  authenticate: Guard;
  ensureConsistent: EnsureConsistent;
  access: AccessLog;
  maxPixels: number;
  cache: ThumbnailCache;
}

const etagOf = (sha256: string, size: number, format: ThumbnailFormat) => `"${sha256}.${size}.${format}.${RENDERING}"`;

/** Whether If-None-Match (a list, maybe weak tags, or *) matches `etag`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

export function thumbnailRoute(parent: FastifyInstance, deps: ThumbnailRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/images/:imageId/thumbnail',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['images'],
        summary: `The image fitted inside size × size pixels (aspect kept, EXIF-rotated, never enlarged), as WebP (default) or JPEG; ETag and If-None-Match (304). Bad size or format: 400 validation_failed`,
        security: [{ bearer: [] }],
        params: Type.Object({ imageId: Uuid }),
        querystring: Type.Object({
          size: Type.Integer({ minimum: THUMBNAIL_MIN, maximum: THUMBNAIL_MAX, default: THUMBNAIL_DEFAULT, description: 'Longest side, in pixels' }),
          format: Type.Union(
            THUMBNAIL_FORMATS.map((f) => Type.Literal(f)),
            { default: 'webp' },
          ),
          consistentWith: Type.Optional(PositionCursor),
        }),
        response: responses(
          {
            200: binary('The thumbnail (ETag: content, size, format and rendering version)', 'image/webp', 'image/jpeg'),
            304: Type.Null({ description: 'Not modified (If-None-Match matched the ETag)' }),
          },
          401,
          { 400: ['invalid_access_purpose'], 404: ['image_not_found', 'content_missing'], 503: ['access_log_unavailable'] },
        ),
      },
    },
    async (request, reply) => {
      const { size, format, consistentWith } = request.query;
      await deps.ensureConsistent(consistentWith, ['images']);
      const principal = principalOf(request);
      // Existence and authorisation first: nothing below runs for an image the caller may not see.
      const image = await deps.query.get(viewerOf(principal), request.params.imageId, { consistentWith: consistentWith === undefined ? undefined : cursorToPosition(consistentWith) });
      if (!image) throw new HttpProblem(404, 'image_not_found', 'Not found', 'no such image');
      const etag = etagOf(image.sha256, size, format);
      reply.header('etag', etag).header('cache-control', THUMBNAIL_CACHE_CONTROL);
      if (matches(request.headers['if-none-match'], etag)) return reply.status(304).send();
      const started = performance.now();
      const { thumbnail, hit } = await deps.cache.get(ThumbnailCache.key(image.sha256, size, format), async () => {
        const blob = await deps.blobs.get(image.sha256);
        return blob ? makeThumbnail(blob.data, size, format, deps.maxPixels) : undefined;
      });
      if (!thumbnail) throw new HttpProblem(404, 'content_missing', 'Not found', 'the image bytes are gone');
      await recordAccess(deps.access, request, principal, [{ subjectId: image.ownerId, imageIds: [image.imageId] }], ['content']);
      const timing = hit ? 'thumbnail;desc="cache hit"' : `thumbnail;desc="resized";dur=${(performance.now() - started).toFixed(1)}`;
      return reply.type(thumbnail.contentType).header('content-length', thumbnail.data.length).header('server-timing', timing).send(thumbnail.data);
    },
  );
}
