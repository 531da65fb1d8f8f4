// People's REST routes (issue 17).

import { requireConsent } from '../../../commands/identity/consents.js';
import type { RouteGroup } from '../../route-group.js';
import { peopleRoutes } from './people.js';

export const peopleRouteGroup: RouteGroup = {
  name: 'people',
  register(app, s) {
    peopleRoutes(app, {
      people: s.people,
      query: s.peopleQuery,
      requireRecognitionConsent: async (userId) => {
        await requireConsent(s.rt.eventStore, userId, 'face_recognition');
      },
      authenticate: s.guards.authenticate,
      ensureConsistent: s.ensureConsistent,
    });
  },
};
