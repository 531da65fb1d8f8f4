// The erasure reactor: each ErasureRequested (stream `erasure-<id>`) asks for one execution of
// that erasure (job id = the erasure id) unless the erasure is completed. Its checkpoint moves only
// once the executions it asked for are done (the worker role's sink runs them: a failure rolls the
// batch back and the runner retries it), so an erasure requested and not completed — a crash
// between two steps, a request recorded by an API process whose wait ended — is resumed here.

import { foldRecorded } from '../../domain/fold-recorded.js';
import { erasureDecider } from '../../domain/privacy/erasure.js';
import { ERASURE_STREAM_PREFIX } from '../../domain/privacy/erasure-events.js';
import type { Reactor } from '../reactor.js';

export interface ErasureJobData {
  erasureId: string;
}

export const erasureRequests: Reactor<ErasureJobData> = {
  // The checkpoint name: never rename it.
  name: 'erasure-executor',
  filter: { streamPrefixes: [ERASURE_STREAM_PREFIX], eventTypes: ['ErasureRequested'] },
  async jobsFor(events, store) {
    const jobs = [];
    for (const stream of new Set(events.map((e) => e.stream))) {
      const { state } = await foldRecorded(erasureDecider, store.readStream(stream));
      if (state.status === 'requested') jobs.push({ id: state.erasureId, data: { erasureId: state.erasureId } });
    }
    return jobs;
  },
};
