// What the API returns of face search and verification (TypeBox): the REST response schemas (and so
// OpenAPI). GraphQL's FaceMatch / FaceSearchResult must match them.

import { Type } from '@sinclair/typebox';
import { Uuid } from '../shapes.js';
import { Box } from '../images/shapes.js';

export const FaceMatch = Type.Object({
  faceId: Uuid,
  imageId: Uuid,
  personId: Type.Union([Uuid, Type.Null()], { description: 'The person the face is assigned to, or null' }),
  distance: Type.Number({ description: 'Euclidean distance between the descriptors (0: identical)' }),
});

export const FaceRef = Type.Object({ faceId: Uuid, imageId: Uuid });

const Matches = Type.Array(FaceMatch, { description: 'Faces within the threshold, nearest first (at most k)' });
const Unknown = Type.Boolean({ description: 'true when no face of the gallery is within the threshold' });
/** A face found in a photo searched with (not stored). */
const PhotoFace = Type.Object({ box: Box, score: Type.Number() });

export const FaceSearchResult = Type.Object({
  matches: Matches,
  unknown: Unknown,
  threshold: Type.Number(),
  model: Type.Object({ sha256: Type.String() }, { description: 'The analysis model whose descriptors were compared' }),
  gallerySize: Type.Integer({ description: 'Faces of that model in the gallery searched' }),
  query: Type.Optional(Type.Composite([FaceRef], { description: 'JSON search: the face searched with' })),
  face: Type.Optional(Type.Composite([PhotoFace], { description: 'Photo search: the face searched with (the largest)' })),
  faces: Type.Optional(Type.Array(Type.Object({ face: PhotoFace, matches: Matches, unknown: Unknown }), { description: 'Photo search with faces=all: every face of the photo, largest first' })),
});

export const FaceVerifyResult = Type.Object({
  distance: Type.Number(),
  match: Type.Boolean({ description: 'distance ≤ threshold' }),
  threshold: Type.Number(),
  model: Type.Object({ sha256: Type.String() }),
  faces: Type.Array(FaceRef),
});
