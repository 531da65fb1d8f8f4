// POST/GET /graphql (and subscriptions over WebSocket), registered after the REST routes.

import type { RouteGroup } from '../route-group.js';
import { graphqlPlugin } from './plugin.js';

export const graphqlRouteGroup: RouteGroup = {
  name: 'graphql',
  async register(app, s) {
    await app.register(graphqlPlugin, {
      config: s.rt.config,
      principalFor: s.guards.principalFor,
      accounts: s.accounts,
      images: s.imagesQuery,
      users: s.users,
      audit: s.audit,
      access: { log: s.accessLog, owners: s.imageOwners },
      ensureConsistent: s.ensureConsistent,
      recognition: {
        people: s.peopleQuery,
        search: s.faceSearch,
        requireConsent: s.requireRecognitionConsent,
        defaultThreshold: s.rt.config.recognition.matchThreshold,
      },
      onCacheResult: s.onCacheResult,
    });
  },
};
