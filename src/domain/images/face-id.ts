// A face's id (issue 17): derived from the image, the analysis pipeline that found it (the model's
// sha256 covers every network it ran) and its place in that analysis's list. Reads, rebuilds and a
// re-analysis with the same model (deterministic: same bytes, same faces, same order) all give
// the same id; another model finds other faces, and its faces get other ids.

import { nameBasedUuid } from '../name-based-id.js';

const FACE_NAMESPACE = '5f2c9a417be04d3c8e61a0b7c4d2e918';

export const faceIdOf = (imageId: string, modelSha256: string, index: number): string => nameBasedUuid(FACE_NAMESPACE, `${imageId}\n${modelSha256}\n${index}`);
