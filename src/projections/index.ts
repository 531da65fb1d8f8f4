// Every consumer of the log, in one place: start-up, /metrics (lag), `projections:status`,
// rebuild/verify and the CLI iterate these lists instead of naming features.

import type { EventFilter } from '../eventstore/types.js';
import { accessRecordsProjection } from './access/access-records.js';
import { sessionsProjection } from './identity/sessions.js';
import { usersProjection } from './identity/users.js';
import { analysisRequests } from './images/analysis-requests.js';
import { imagesProjection } from './images/images.js';
import { erasureRequests } from './privacy/erasure-requests.js';
import { faceIndexProjection } from './recognition/face-index.js';
import { peopleProjection } from './people/people.js';
import { autoPeopleRequests } from './people/auto-people-requests.js';
import type { Projection } from './projection.js';
import type { Reactor } from './reactor.js';
import { NOTARY_CONSUMER, NOTARY_FILTER } from './notary/notary.js';

/** Every read model the projector role keeps up to date. */
export const projections: readonly Projection[] = [usersProjection, sessionsProjection, imagesProjection, accessRecordsProjection, faceIndexProjection, peopleProjection];

/** Every reactor (the worker role runs them: their jobs go to its queues). */
export const reactors = [analysisRequests, erasureRequests, autoPeopleRequests] as const satisfies readonly Reactor<unknown>[];

export interface ConsumerInfo {
  /** The checkpoint (rm.checkpoints.consumer) and advisory-lock name. */
  name: string;
  kind: 'projection' | 'reactor' | 'notary';
  filter: EventFilter;
}

/** Every consumer of the log: each has a checkpoint. */
export const consumers: readonly ConsumerInfo[] = [
  ...projections.map((p) => ({ name: p.name, kind: 'projection' as const, filter: p.filter })),
  ...reactors.map((r) => ({ name: r.name, kind: 'reactor' as const, filter: r.filter })),
  // The Merkle tree over the whole log (src/projections/notary; run over the store as stored).
  { name: NOTARY_CONSUMER, kind: 'notary' as const, filter: NOTARY_FILTER },
];
