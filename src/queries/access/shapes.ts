// What the API returns of access records (TypeBox): GET /v1/audit/access and GET /v1/me/access.

import { Type } from '@sinclair/typebox';
import { ACCESS_FIELDS } from '../../domain/access/access-events.js';
import { ROLES } from '../../domain/identity/roles.js';
import { DateTime, PositionCursor, Uuid } from '../shapes.js';

export const AccessRecord = Type.Object({
  recordId: Uuid,
  /** The BiometricDataAccessed event holding the record (with the other records of its batch): GET /v1/audit/events/{eventId}/proof proves it. */
  eventId: Uuid,
  subjectId: Uuid,
  accessor: Type.Object({ id: Uuid, role: Type.Union(ROLES.map((r) => Type.Literal(r))) }),
  imageIds: Type.Array(Uuid),
  fields: Type.Array(Type.Union(ACCESS_FIELDS.map((f) => Type.Literal(f)))),
  route: Type.String({ description: 'Route pattern or GraphQL field that served the data' }),
  purpose: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.String({ description: 'The request id (X-Request-Id; the correlation id of its events)' }),
  at: DateTime,
  position: PositionCursor,
});

export const AccessRecordPage = Type.Object({ items: Type.Array(AccessRecord), nextCursor: Type.Union([Type.String(), Type.Null()]) });
