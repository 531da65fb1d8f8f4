// Shared JSON schemas (TypeBox) for routes: they validate input and generate the OpenAPI document.

import { Type, type TSchema } from '@sinclair/typebox';

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

export const PositionCursor = Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', description: 'Opaque position in the event log' });

export const ConsistentWithQuery = Type.Object({
  consistentWith: Type.Optional({ ...PositionCursor, description: 'Wait until the read model has applied this position (from a command response)' }),
});

export const Uuid = Type.String({ format: 'uuid' });

/** The usual error responses of a route, plus its own success responses. */
export function responses<T extends Record<number, TSchema>>(ok: T, ...errors: number[]) {
  const out: Record<number, TSchema> = { ...ok };
  for (const status of errors) out[status] = Type.Ref('Problem');
  return out;
}
