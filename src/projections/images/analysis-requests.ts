// The job bridge (DESIGN.md §6): each ImageUploaded / ImageAnalysisRequested (a "request",
// identified by its event id) asks for one analysis job with job id = the event id.
//
// A replay (checkpoint deleted, or jobs already removed from the queue) asks for nothing that was
// already answered: the image's stream is folded first, and requests that have a result, and
// images that were deleted, ask for no job.

import type { AnalysisJobData } from '../../domain/images/analysis-job.js';
import { imageDecider, type ImageState } from '../../domain/images/image.js';
import { foldRecorded } from '../../domain/fold-recorded.js';
import type { RecordedEvent } from '../../eventstore/types.js';
import type { Reactor } from '../reactor.js';

export const analysisRequests: Reactor<AnalysisJobData> = {
  // The checkpoint name of the consumer since it first ran: never rename it.
  name: 'job-bridge',
  filter: { streamPrefixes: ['image-'], eventTypes: ['ImageUploaded', 'ImageAnalysisRequested'] },
  async jobsFor(events, store) {
    // One fold per stream in the batch: what is answered (and deleted) now, not at event time.
    const states = new Map<string, ImageState>();
    for (const stream of new Set(events.map((e) => e.stream))) {
      states.set(stream, (await foldRecorded(imageDecider, store.readStream(stream))).state);
    }
    return events.flatMap((event) => {
      const data = jobData(event, states.get(event.stream));
      return data ? [{ id: event.id, data }] : [];
    });
  },
};

/** The job for one request, or undefined when there is nothing to do. */
function jobData(event: RecordedEvent, state: ImageState | undefined): AnalysisJobData | undefined {
  if (event.type !== 'ImageUploaded' && event.type !== 'ImageAnalysisRequested') return undefined;
  if (!state || state.status === 'none' || state.status === 'deleted' || state.status === 'erased') return undefined;
  if (state.answered.has(event.id)) return undefined;
  const imageId = event.stream.slice('image-'.length);
  const sha256 = event.type === 'ImageUploaded' ? (event.data as { sha256: string }).sha256 : state.sha256;
  return { imageId, requestId: event.id, sha256, correlationId: event.metadata.correlationId ?? event.id };
}
