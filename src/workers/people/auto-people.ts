// The automatic people reactor run with a sink that assigns each analysis's faces in this process
// (AutoPeople.onAnalysis) before the reactor's checkpoint moves. Runs where the worker role is given
// the recognition lookups (the runtime builds them over the face index and the people read model);
// one instance is active at a time (the runner's advisory lock).

import { AutoPeople, type AutoPeopleDeps } from '../../commands/people/auto-people.js';
import { autoPeopleRequests, type AutoPeopleJobData } from '../../projections/people/auto-people-requests.js';
import { reactorConsumer } from '../../projections/reactor.js';
import type { JobBridgeSpec } from '../worker-role.js';

export const autoPeopleBridge: JobBridgeSpec = {
  reactor: autoPeopleRequests,
  start(deps) {
    if (!deps.recognition) throw new Error('the people reactor needs the recognition lookups (WorkerProcessDeps.recognition)');
    const auto = new AutoPeople({ store: deps.eventStore, ...deps.recognition, threshold: deps.config.recognition.matchThreshold, minFaces: deps.config.recognition.peopleMinFaces } satisfies AutoPeopleDeps);
    const consumer = reactorConsumer<AutoPeopleJobData>(autoPeopleRequests, {
      store: deps.eventStore,
      sink: {
        async enqueue(jobs) {
          await auto.onAnalyses(jobs.map((job) => job.data.analysis));
        },
      },
    });
    return { consumer, cancel: () => undefined, close: () => Promise.resolve() };
  },
};
