import { imagesProjection } from './images.js';
import type { Projection } from './projection.js';
import { sessionsProjection } from './sessions.js';
import { usersProjection } from './users.js';

/** Every read model the projector role keeps up to date. */
export const projections: readonly Projection[] = [usersProjection, sessionsProjection, imagesProjection];
