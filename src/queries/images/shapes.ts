// What the API returns of an image (TypeBox): the REST response schemas (and so OpenAPI), and the
// source of ImageView and FaceView (images-query.ts). GraphQL's Image, Face, Box, Model,
// AnalysisError and DayStats must match them (tests/unit/http/shape-drift.test.ts).

import { Type } from '@sinclair/typebox';
import { DateTime, Uuid } from '../shapes.js';

export const ImageStatus = Type.Union([Type.Literal('pending'), Type.Literal('analyzed'), Type.Literal('failed')]);

export const Box = Type.Object({ x: Type.Number(), y: Type.Number(), width: Type.Number(), height: Type.Number() });

export const Face = Type.Object({
  faceId: Type.String({ format: 'uuid', description: 'Stable id of the face: the same for every read, rebuild and re-analysis with the same model' }),
  box: Box,
  score: Type.Number(),
  landmarks: Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { description: '68 points in iBUG/dlib order, image pixels' }),
  descriptor: Type.Optional(Type.Array(Type.Number(), { description: '128-D face descriptor (only with include=descriptor)' })),
});

export const Model = Type.Object({ name: Type.String(), version: Type.String(), sha256: Type.String() });

export const AnalysisError = Type.Object({ code: Type.String(), message: Type.String() });

export const Image = Type.Object({
  imageId: Uuid,
  ownerId: Uuid,
  filename: Type.String(),
  contentType: Type.String(),
  bytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  sha256: Type.String(),
  status: ImageStatus,
  faceCount: Type.Union([Type.Integer(), Type.Null()]),
  model: Type.Union([Model, Type.Null()]),
  analysisMs: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([AnalysisError, Type.Null()]),
  uploadedAt: DateTime,
  analyzedAt: Type.Union([DateTime, Type.Null()]),
  updatedAt: DateTime,
});

export const ImageWithFaces = Type.Composite([Image, Type.Object({ faces: Type.Array(Face) })]);

/** A page of the gallery (GET /v1/images). */
export const ImageListPage = Type.Object({ items: Type.Array(Image), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const IsoDay = Type.String({ format: 'date' });

export const DayStats = Type.Object({ day: IsoDay, uploads: Type.Integer(), analyses: Type.Integer(), failures: Type.Integer(), faces: Type.Integer(), deletions: Type.Integer() });
