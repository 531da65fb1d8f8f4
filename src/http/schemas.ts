// Shared JSON schemas (TypeBox) for routes: they validate input and generate the OpenAPI document.

import { STATUS_CODES } from 'node:http';
import { Type, type TSchema } from '@sinclair/typebox';
import { PositionCursor } from '../queries/shapes.js';
import { problemBody } from './problem.js';

// Response shapes live with the query services (src/queries/shapes.ts, src/queries/<feature>/shapes.ts);
// the routes take these two from here too.
export { PositionCursor, Uuid } from '../queries/shapes.js';

/** The media type of every error response (src/http/problem.ts sendProblem). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the problem: https://facetrail.dev/problems/<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable, machine-readable error code (each response lists the codes it can carry)' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String({ description: 'The path of the request' })),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details; some problems add members (e.g. `errors` for validation_failed, `retryAfterSeconds`)' },
);

export const ConsistentWithQuery = Type.Object({
  consistentWith: Type.Optional({ ...PositionCursor, description: 'Wait until the read model has applied this position (from a command response)' }),
});

/** An error status a route can answer: bare (its codes follow from the route, see plugins/openapi.ts), or with the codes of its own. */
export type ProblemStatuses = number | { readonly [status: number]: readonly string[] };

/** A response whose body is not JSON (an image, a stream): its media types, each with its schema. */
export interface MediaResponse {
  description: string;
  content: Record<string, { schema: TSchema }>;
}

/** A binary body of the given media type(s), e.g. `binary('The original bytes', 'image/jpeg', 'image/png')`. */
export function binary(description: string, ...mediaTypes: string[]): MediaResponse {
  return { description, content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: Type.String({ format: 'binary' }) }])) };
}

/** A text body of the given media type (ndjson, text/event-stream, Prometheus text). */
export function text(description: string, mediaType: string, example?: string): MediaResponse {
  return { description, content: { [mediaType]: { schema: Type.String(example === undefined ? {} : { examples: [example] }) } } };
}

/** The problem+json response of one status, listing the codes it can carry (an example of each). */
export function problemResponse(status: number, codes: readonly string[]) {
  const listed = codes.length > 0 ? `: ${codes.map((c) => `\`${c}\``).join(', ')}` : '';
  return {
    description: `${STATUS_CODES[status] ?? 'Error'} (problem+json)${listed}`,
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: Type.Ref('Problem'),
        examples: Object.fromEntries(codes.map((code) => [code, { summary: code, value: problemBody({ status, code, title: STATUS_CODES[status] ?? 'Error' }) }])),
      },
    },
  };
}

/** The codes a problem response (from problemResponse) lists. */
export function problemCodesOf(response: unknown): string[] {
  const media = (response as { content?: Record<string, { examples?: Record<string, unknown> }> } | undefined)?.content?.[PROBLEM_MEDIA_TYPE];
  return media ? Object.keys(media.examples ?? {}) : [];
}

/**
 * The error responses of a route (problem+json, with the codes each can carry), plus its own
 * success responses: `responses({ 200: Shape }, 401, { 404: ['image_not_found'] })`.
 */
export function responses<T extends Record<number, TSchema | MediaResponse>>(ok: T, ...errors: ProblemStatuses[]) {
  const codes = new Map<number, string[]>();
  for (const e of errors) {
    const entries: [number, readonly string[]][] = typeof e === 'number' ? [[e, []]] : Object.entries(e).map(([s, list]) => [Number(s), list]);
    for (const [status, list] of entries) codes.set(status, [...new Set([...(codes.get(status) ?? []), ...list])]);
  }
  const out: Record<number, TSchema | MediaResponse | ReturnType<typeof problemResponse>> = { ...ok };
  for (const [status, list] of codes) out[status] = problemResponse(status, list);
  return out;
}
