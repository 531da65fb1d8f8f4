// What the API returns of people (TypeBox): the REST response schemas (and so OpenAPI).

import { Type } from '@sinclair/typebox';
import { DateTime, PositionCursor, Uuid } from '../shapes.js';

export const PersonStatus = Type.Union([Type.Literal('active'), Type.Literal('merged'), Type.Literal('deleted')]);

export const Person = Type.Object({
  personId: Uuid,
  name: Type.Union([Type.String(), Type.Null()], { description: 'null: unnamed; "[erased]" once its key is shredded' }),
  status: PersonStatus,
  mergedInto: Type.Union([Uuid, Type.Null()]),
  faceCount: Type.Integer(),
  revision: Type.String({ description: 'The revision of its stream (undo toRevision takes one)' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const PersonFaceView = Type.Object({
  faceId: Uuid,
  imageId: Uuid,
  by: Type.Union([Type.Literal('user'), Type.Literal('auto')]),
  distance: Type.Union([Type.Number(), Type.Null()], { description: 'auto: the distance that decided the assignment' }),
});

export const PersonWithFaces = Type.Composite([Person, Type.Object({ faces: Type.Array(PersonFaceView) })]);

export const PeoplePage = Type.Object({ items: Type.Array(Person), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const PersonHistoryEntry = Type.Object({
  revision: Type.String(),
  position: PositionCursor,
  type: Type.String(),
  at: DateTime,
  by: Type.Union([Type.Literal('user'), Type.Literal('auto')]),
  actor: Type.Object({ id: Type.String(), kind: Type.String() }),
  name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  faceIds: Type.Optional(Type.Array(Uuid)),
  person: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'merges: the other person' })),
  reason: Type.Optional(Type.String()),
  undoes: Type.Union([Type.String(), Type.Null()], { description: 'The revision this step undid' }),
});

export const PersonHistory = Type.Object({ personId: Uuid, items: Type.Array(PersonHistoryEntry) });
