// What the API returns of the event log (TypeBox): the REST response schemas of /v1/audit (and so
// OpenAPI). GraphQL's AuditEvent and AuditEventPage must match them (tests/unit/http/shape-drift.test.ts).

import { Type } from '@sinclair/typebox';
import { DateTime, PositionCursor } from '../shapes.js';

export const AuditEvent = Type.Object({
  id: Type.String(),
  stream: Type.String(),
  revision: Type.String({ pattern: '^[0-9]+$', description: '0-based revision in its stream (decimal string)' }),
  position: PositionCursor,
  type: Type.String(),
  data: Type.Unknown({ description: 'The event payload (secrets such as password hashes redacted)' }),
  metadata: Type.Unknown({ description: 'correlationId, causationId, actor, schemaVersion' }),
  recordedAt: DateTime,
});

/** A page of the feed (GET /v1/audit/events). */
export const AuditFeedPage = Type.Object({ events: Type.Array(AuditEvent), nextCursor: PositionCursor });
