// The images feature's REST routes: /v1/images and /v1/stats.

import { pipelineRef } from '../../../inference/pipeline-ref.js';
import type { RouteGroup } from '../../route-group.js';
import { imageRoutes } from './images.js';
import { PixelBudget } from './pixel-budget.js';
import { UploadRateLimit } from './upload-rate-limit.js';

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
  },
};
