// People's REST routes (issue 17).

import type { RouteGroup } from '../../route-group.js';
import { peopleRoutes } from './people.js';

export const peopleRouteGroup: RouteGroup = {
  name: 'people',
  register(app, s) {
    peopleRoutes(app, {
      people: s.people,
      query: s.peopleQuery,
      requireRecognitionConsent: s.requireRecognitionConsent,
      authenticate: s.guards.authenticate,
      ensureConsistent: s.ensureConsistent,
    });
  },
};
