// The problems a route can answer because of what it is, not of what its handler does: its input
// is validated (400 validation_failed), its strings are checked (400 invalid_text), a body is parsed
// on POST/PUT/PATCH/DELETE (the parser's 400/413/415), a bearer token is checked (401), a
// `consistentWith` waits for the read model (400 invalid_cursor, 503 projection_lagging). The
// OpenAPI document adds them to what the route declares itself (plugins/openapi.ts).

import { BEARER_PROBLEM_CODES } from './auth-guard.js';
import { FASTIFY_CODES, VALIDATION_FAILED } from './error-handler.js';

export interface RouteFacts {
  method: string;
  /** The route's schema keys as fastify sees them. */
  schema: { querystring?: unknown; params?: unknown; headers?: unknown; body?: unknown; security?: readonly Record<string, unknown>[] };
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function properties(schema: unknown): string[] {
  return Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
}

/** status -> the codes a route answers by its kind alone. */
export function routeProblems(route: RouteFacts): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (status: number, code: string) => out.set(status, [...new Set([...(out.get(status) ?? []), code])]);
  const { schema } = route;
  // The text guard (text-guard.ts) looks at every query string, path parameter and body.
  add(400, 'invalid_text');
  if (schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined || schema.body !== undefined) add(400, VALIDATION_FAILED);
  if (BODY_METHODS.has(route.method)) for (const [status, code] of Object.values(FASTIFY_CODES)) add(status, code);
  // A command appends to the event store (error-mapping.ts): another writer first, or the store down.
  if (BODY_METHODS.has(route.method)) {
    add(409, 'concurrent_modification');
    add(503, 'event_store_unavailable');
  }
  if (schema.security?.some((s) => 'bearer' in s)) for (const code of BEARER_PROBLEM_CODES) add(401, code);
  if (properties(schema.querystring).includes('consistentWith')) {
    add(400, 'invalid_cursor');
    add(503, 'projection_lagging');
  }
  return out;
}
