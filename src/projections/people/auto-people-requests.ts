// The automatic people reactor (issue 17 item 3): each ImageAnalyzed asks for one assignment run
// (job id = the event id). The worker role's sink runs it in-process (src/workers/people) before the
// checkpoint moves — the faces (biometric data) never go through a queue — and a failure rolls the
// batch back for the runner to retry; the run itself is idempotent (src/commands/people/auto-people.ts).

import type { RecordedEvent } from '../../eventstore/types.js';
import type { Reactor } from '../reactor.js';

export interface AutoPeopleJobData {
  /** The ImageAnalyzed event, as read (faces opened). */
  analysis: RecordedEvent;
}

export const autoPeopleRequests: Reactor<AutoPeopleJobData> = {
  // The checkpoint name: never rename it.
  name: 'people-reactor',
  filter: { streamPrefixes: ['image-'], eventTypes: ['ImageAnalyzed'] },
  jobsFor(events) {
    return Promise.resolve(events.filter((e) => e.type === 'ImageAnalyzed').map((analysis) => ({ id: analysis.id, data: { analysis } })));
  },
};
