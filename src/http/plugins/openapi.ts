// OpenAPI 3.1 generated from the route schemas (app.swagger()), served at /docs (UI) and /docs/json
// when API_DOCS is on (the default outside production): a public API map is opt-in in production.
//
// The document says what fastify does not need to know: the multipart form of an upload (fastify
// never validates a multipart body: @fastify/multipart streams it to the handler), the name of a
// wildcard path parameter, that a query parameter with a default may be left out, and the problems
// a route answers by its kind (route-problems.ts) beside the ones it declares (schemas.ts responses).

import { STATUS_CODES } from 'node:http';
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { routeProblems } from '../route-problems.js';
import { problemCodesOf, problemResponse } from '../schemas.js';

declare module 'fastify' {
  interface FastifySchema {
    /** Documentation only: the multipart/form-data body the handler reads itself (with request.parts()). */
    multipartBody?: TSchema;
    /** Documentation only: the name and schema of the route's `*` path parameter. */
    wildcardParam?: { name: string; schema: TSchema };
  }
}

export const API_TAGS = [
  { name: 'auth', description: 'Register, log in (tokens), refresh, log out; the console session (refresh token in an HttpOnly cookie); the signing keys' },
  { name: 'users', description: 'Your account and other users' },
  { name: 'admin', description: 'Roles, deactivation, the queue board (admins)' },
  { name: 'privacy', description: 'The privacy policy, consents, erasure, what is held about you and who read it' },
  { name: 'images', description: 'Photos: upload, analysis results, content, annotated image, statistics' },
  { name: 'recognition', description: 'Face search and verification over your own gallery (face_recognition consent)' },
  { name: 'people', description: 'People: named groups of faces, with history and undo' },
  { name: 'audit', description: 'The event log, its signed checkpoints and proofs, the access log (auditors and admins)' },
  { name: 'ops', description: 'Liveness, readiness and Prometheus metrics (served by every role of the process)' },
];

const DESCRIPTION = [
  'Event-sourced face analysis. Commands answer with the `position` of their last event; reads accept `consistentWith=<position>` to read their own writes.',
  'Errors are RFC 9457 `application/problem+json` (schema `Problem`) with a stable `code`; each error response lists the codes it can carry.',
  'Authenticate with `Authorization: Bearer <accessToken>` from POST /v1/auth/token (Authorize button).',
  'GraphQL: POST/GET /graphql (subscriptions over WebSocket, graphql-transport-ws), with GraphiQL at /graphiql; its schema is documented there.',
].join('\n\n');

type RouteSchema = Record<string, unknown> & {
  body?: unknown;
  consumes?: string[];
  multipartBody?: TSchema;
  wildcardParam?: { name: string; schema: TSchema };
  querystring?: unknown;
  params?: unknown;
  response?: Record<string, unknown>;
};

interface ObjectSchema {
  type?: string;
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/** A query parameter with a default may be left out: fastify fills it in. */
function optionalDefaults(querystring: unknown): unknown {
  const q = querystring as ObjectSchema | undefined;
  if (!q?.properties || !q.required) return querystring;
  const required = q.required.filter((name) => q.properties?.[name]?.default === undefined);
  return { ...q, required };
}

/**
 * A copy in the dialect of OpenAPI 3.1 (JSON Schema 2020-12): TypeBox writes tuples the draft-07
 * way (`items: [..]`, `additionalItems`), which 2020-12 spells `prefixItems` and `items: false`.
 */
function jsonSchema2020(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchema2020);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = jsonSchema2020(value);
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    if (out.additionalItems === false) out.items = false;
    else delete out.items;
    delete out.additionalItems;
  }
  return out;
}

/** A stable operationId from the method and the path: GET /v1/images/:imageId -> getImagesByImageId. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/v1\//, '/')
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => (segment.startsWith(':') ? ['by', segment.slice(1)] : segment.split(/[^A-Za-z0-9]+/)))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/** The route's schema as the document shows it (fastify validates the route's own schema, unchanged). */
export function documentedSchema(method: string, url: string, schema: RouteSchema): { schema: RouteSchema; url: string } {
  const out: RouteSchema = { ...schema };
  if (schema.multipartBody) {
    // A route reading JSON too keeps it beside the form (fastify validates only the JSON).
    const json = schema.body as { content?: Record<string, unknown> } | undefined;
    out.body = { content: { ...(json?.content ?? (json ? { 'application/json': { schema: json } } : {})), 'multipart/form-data': { schema: schema.multipartBody } } };
    delete out.multipartBody;
    delete out.consumes;
  }
  out.operationId ??= operationIdOf(method, schema.wildcardParam ? url.replace(/\*$/, `:${schema.wildcardParam.name}`) : url);
  let documentedUrl = url;
  if (schema.wildcardParam) {
    const { name, schema: paramSchema } = schema.wildcardParam;
    documentedUrl = url.replace(/\*$/, `:${name}`);
    out.params = { type: 'object', properties: { [name]: paramSchema }, required: [name] };
    delete out.wildcardParam;
  }
  if (schema.querystring) out.querystring = optionalDefaults(schema.querystring);
  if (out.body) out.body = jsonSchema2020(out.body);
  const declared = schema.response ?? {};
  const response: Record<string, unknown> = {};
  for (const [status, entry] of Object.entries(declared)) {
    const documented = jsonSchema2020(entry) as { description?: string };
    // Every response has a description; a schema of its own may not say one.
    response[status] = documented.description ? documented : { ...documented, description: STATUS_CODES[Number(status)] ?? 'Success' };
  }
  const generic = routeProblems({ method, schema: { ...schema, security: schema.security as Record<string, unknown>[] | undefined } });
  const statuses = new Set([...Object.keys(declared).map(Number).filter((s) => s >= 400), ...generic.keys()]);
  for (const status of [...statuses].sort()) {
    response[status] = problemResponse(status, [...new Set([...problemCodesOf(declared[status]), ...(generic.get(status) ?? [])])]);
  }
  out.response = response;
  // Public operations say so (an empty requirement), rather than leaving the reader to guess.
  out.security ??= [];
  return { schema: out, url: documentedUrl };
}

export async function registerOpenApi(app: FastifyInstance, opts: { serve: boolean }): Promise<void> {
  const options: FastifyDynamicSwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'facetrail API', version: '1.0.0', description: DESCRIPTION },
      // Relative: the document is served by the API it describes, wherever that is.
      servers: [{ url: '/', description: 'this server' }],
      tags: API_TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /v1/auth/token (valid for ACCESS_TOKEN_TTL_SECONDS, 300 s by default; get a new one with POST /v1/auth/refresh)' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when it is set' },
        },
      },
    },
    // Shared schemas are named by their $id (#/components/schemas/Problem), not def-N.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      return schema ? documentedSchema(method, url, schema as RouteSchema) : { schema, url };
    },
  };
  await app.register(swagger, options);
  if (opts.serve) await app.register(swaggerUi, { routePrefix: '/docs' });
}
