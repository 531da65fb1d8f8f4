// Operations routes of the API role: the queue board (/admin/queues, admins). Health and metrics
// are served by every role and registered by buildApp before any route group.

import { bullPrefix } from '../../../config.js';
import type { RouteGroup } from '../../route-group.js';
import { queueBoardRoutes } from './queue-board.js';

export const queueBoardRouteGroup: RouteGroup = {
  name: 'queue-board',
  async register(app, s) {
    const { config, tokens, queueNames } = s.rt;
    await queueBoardRoutes(app, {
      tokens,
      accounts: s.accounts,
      requireRole: s.guards.requireRole,
      redisUrl: config.redisUrl,
      prefix: bullPrefix(config),
      queues: queueNames,
      secureCookie: config.nodeEnv === 'production',
    });
  },
};
