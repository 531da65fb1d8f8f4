// Who may see an image: one rule for REST, GraphQL (queries and subscriptions), time travel and
// the read cache. What a viewer may not see does not exist for them (404, never 403).

import { isStaff } from '../identity/policies.js';
import type { Viewer } from '../identity/viewer.js';

/** Whether the viewer sees every image in a list (the gallery, the stats), not only their own. */
export function seesEveryImage(viewer: Pick<Viewer, 'role'>): boolean {
  return isStaff(viewer.role);
}

/** Whether the viewer may see the images of `ownerId` (a user's gallery): that user and the staff. */
export function maySeeImagesOf(viewer: Viewer, ownerId: string): boolean {
  return viewer.userId === ownerId || seesEveryImage(viewer);
}

/**
 * Whether the viewer may see image X: the staff always (deleted ones too: time travel shows them
 * as they were); its owner while it is not deleted — once deleted, at no point of its history.
 * The current reads hold no deleted images at all, so there a deleted image is nobody's.
 */
export function maySeeImage(viewer: Viewer, image: { ownerId: string; deleted?: boolean }): boolean {
  return seesEveryImage(viewer) || (image.ownerId === viewer.userId && image.deleted !== true);
}
