// The images feature's REST routes: /v1/images (with thumbnails) and /v1/stats.

import { pipelineRef } from '../../../inference/pipeline-ref.js';
import type { RouteGroup } from '../../route-group.js';
import { imageRoutes } from './images.js';
import { thumbnailRoute } from './thumbnail.js';
import { ThumbnailCache } from './thumbnail-cache.js';
import { PixelBudget } from './pixel-budget.js';
import { UploadRateLimit } from './upload-rate-limit.js';

/** Resized bytes kept per API process (thumbnail.ts); ~1000 gallery thumbnails of 256 px. */
const THUMBNAIL_CACHE_BYTES = 32 * 1024 * 1024;

export const imagesRouteGroup: RouteGroup = {
  name: 'images',
  register(app, s) {
    const { config } = s.rt;
    imageRoutes(app, {
      images: s.images,
      query: s.imagesQuery,
      history: s.imageHistory,
      blobs: s.blobs,
      erasures: { service: s.erasures, waitMs: config.http.consistencyTimeoutMs },
      authenticate: s.guards.authenticate,
      ensureConsistent: s.ensureConsistent,
      currentModel: () => pipelineRef(config.workers.detector),
      uploads: { maxBytes: config.images.maxUploadBytes, maxPixels: config.images.maxPixels, budget: new PixelBudget(config.images.checkPixelsInFlight), waitMs: config.images.checkWaitMs },
      access: s.accessLog,
      rateLimit: new UploadRateLimit(s.rt.redis, config.redisKeyPrefix, config.images.uploadsPerUserPerMinute, s.rt.logger),
    });
    thumbnailRoute(app, {
      query: s.imagesQuery,
      blobs: s.blobs,
      authenticate: s.guards.authenticate,
      ensureConsistent: s.ensureConsistent,
      access: s.accessLog,
      maxPixels: config.images.maxPixels,
      cache: new ThumbnailCache(THUMBNAIL_CACHE_BYTES),
    });
  },
};
