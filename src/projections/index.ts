import { imagesProjection } from './images/images.js';
import type { Projection } from './projection.js';
import { sessionsProjection } from './identity/sessions.js';
import { usersProjection } from './identity/users.js';

/** Every read model the projector role keeps up to date. */
export const projections: readonly Projection[] = [usersProjection, sessionsProjection, imagesProjection];
