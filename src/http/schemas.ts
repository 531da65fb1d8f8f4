// Shared JSON schemas (TypeBox) for routes: they validate input and generate the OpenAPI document.

import { Type, type TSchema } from '@sinclair/typebox';
import { PositionCursor } from '../queries/shapes.js';

// Response shapes live with the query services (src/queries/shapes.ts, src/queries/<feature>/shapes.ts);
// the routes take these two from here too.
export { PositionCursor, Uuid } from '../queries/shapes.js';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable, machine-readable error code' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const ConsistentWithQuery = Type.Object({
  consistentWith: Type.Optional({ ...PositionCursor, description: 'Wait until the read model has applied this position (from a command response)' }),
});

/** The usual error responses of a route, plus its own success responses. */
export function responses<T extends Record<number, TSchema>>(ok: T, ...errors: number[]) {
  const out: Record<number, TSchema> = { ...ok };
  for (const status of errors) out[status] = Type.Ref('Problem');
  return out;
}
