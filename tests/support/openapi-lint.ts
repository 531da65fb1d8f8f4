// Structural checks of an OpenAPI 3.1 document, for the document test (tests/e2e/openapi-document).
// No OpenAPI linter is installed (see the test's header): these are the rules of the specification
// that a generated document can break, plus this API's own (problem+json, tags, examples). Every
// schema is compiled with Ajv's JSON Schema 2020-12 (the dialect of OpenAPI 3.1), and every example
// is validated against its schema.

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type Json = Record<string, unknown>;
export interface Operation {
  method: string;
  path: string;
  op: Json & { responses?: Record<string, Json>; parameters?: Json[]; requestBody?: Json; tags?: string[] };
}

export const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_REF = '#/components/schemas/Problem';

export function operationsOf(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) out.push({ method, path, op: item[method] as Operation['op'] });
  }
  return out;
}

/** A validator over the document's schemas: refs to #/components/schemas/X become #/$defs/X. */
export function schemaCompiler(doc: Json): (schema: unknown) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addFormat('binary', true);
  ajv.addVocabulary(['example']);
  const defs = JSON.parse(JSON.stringify(((doc.components as Json | undefined)?.schemas ?? {})).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json;
  return (schema) => ajv.compile({ ...(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json), $defs: defs });
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((p) => decodeURIComponent(p).replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), doc);
}

interface Media {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

function examplesOf(media: Media): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (media.example !== undefined) out.push(['example', media.example]);
  for (const [name, ex] of Object.entries(media.examples ?? {})) out.push([name, ex.value]);
  return out;
}

/** Every rule the document breaks, one line each (empty: the document passes). */
export function lintOpenApi(doc: Json): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (doc.openapi !== '3.1.0') fail('openapi', `is ${String(doc.openapi)}, not 3.1.0`);
  const info = doc.info as Json | undefined;
  if (!info?.title || !info.version) fail('info', 'needs title and version');
  for (const ref of refsIn(doc)) if (resolvePointer(doc, ref) === undefined) fail('$ref', `${ref} does not resolve`);
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Json;
  for (const name of Object.keys(schemas)) {
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) fail(`components.schemas.${name}`, 'name is not a valid component key');
    if (/^def-\d+$/.test(name)) fail(`components.schemas.${name}`, 'unnamed component (give the schema an $id)');
  }
  const tags = new Set(((doc.tags ?? []) as Json[]).map((t) => t.name as string));
  const compile = schemaCompiler(doc);
  const checkSchema = (where: string, schema: unknown, examples: [string, unknown][]) => {
    let validate: ValidateFunction;
    try {
      validate = compile(schema);
    } catch (err) {
      fail(where, `schema does not compile: ${(err as Error).message}`);
      return;
    }
    for (const [name, value] of examples) {
      if (!validate(value)) fail(where, `example ${name} does not match its schema: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
    }
  };
  const operationIds = new Set<string>();
  for (const { method, path, op } of operationsOf(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    if (path.includes('*')) fail(where, 'a path may not hold "*" (name the wildcard parameter)');
    if (typeof op.operationId !== 'string') fail(where, 'no operationId (client generators name their methods by it)');
    else {
      if (operationIds.has(op.operationId)) fail(where, `operationId ${op.operationId} is not unique`);
      operationIds.add(op.operationId);
    }
    if (!op.summary) fail(where, 'no summary');
    if (!op.tags?.length) fail(where, 'no tag (it would be listed under "default")');
    for (const tag of op.tags ?? []) if (!tags.has(tag)) fail(where, `tag ${tag} is not declared in the document's tags`);
    // Path parameters: exactly the template's, required, with sane names.
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const params = op.parameters ?? [];
    const inPath = params.filter((p) => p.in === 'path').map((p) => p.name as string);
    for (const name of templated) if (!inPath.includes(name)) fail(where, `path parameter {${name}} is not declared`);
    for (const name of inPath) if (!templated.includes(name)) fail(where, `parameter ${name} is not in the path`);
    const seen = new Set<string>();
    for (const p of params) {
      const key = `${String(p.in)}:${String(p.name)}`;
      if (seen.has(key)) fail(where, `parameter ${key} twice`);
      seen.add(key);
      if (!['query', 'header', 'path', 'cookie'].includes(String(p.in))) fail(where, `parameter ${key}: bad "in"`);
      if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(String(p.name))) fail(where, `parameter name ${String(p.name)} is not a name`);
      if (p.in === 'path' && p.required !== true) fail(where, `path parameter ${String(p.name)} must be required`);
      if (p.schema === undefined && p.content === undefined) fail(where, `parameter ${key} has no schema`);
      if (p.required === true && (p.schema as Json | undefined)?.default !== undefined) fail(where, `parameter ${key} has a default, so it is not required`);
      if (p.schema !== undefined) checkSchema(`${where} parameter ${key}`, p.schema, p.example === undefined ? [] : [['example', p.example]]);
    }
    // Request bodies: a schema and an example for each media type.
    const body = op.requestBody as { content?: Record<string, Media> } | undefined;
    if (body) {
      if (!body.content || Object.keys(body.content).length === 0) fail(where, 'request body without content');
      for (const [type, media] of Object.entries(body.content ?? {})) {
        if (!media.schema) fail(`${where} body ${type}`, 'no schema');
        if (type !== 'multipart/form-data' && examplesOf(media).length === 0) fail(`${where} body ${type}`, 'no example');
        if (media.schema) checkSchema(`${where} body ${type}`, media.schema, examplesOf(media));
      }
    }
    // Responses: a 2xx, every success body with a media type and schema, errors as problem+json.
    const responses = op.responses ?? {};
    const statuses = Object.keys(responses);
    if (statuses.length === 0) fail(where, 'no responses');
    if (!statuses.some((s) => /^2\d\d$/.test(s))) fail(where, 'no 2xx response');
    for (const [status, response] of Object.entries(responses)) {
      const rwhere = `${where} ${status}`;
      if (!/^[1-5](\d\d|XX)$/.test(status) && status !== 'default') fail(rwhere, 'not a status code');
      if (typeof response.description !== 'string' || response.description === '' || response.description === 'Default Response') fail(rwhere, 'no description');
      const content = response.content as Record<string, Media> | undefined;
      const code = Number(status);
      if (code >= 400) {
        const types = Object.keys(content ?? {});
        if (types.length !== 1 || types[0] !== PROBLEM_MEDIA_TYPE) fail(rwhere, `an error is ${PROBLEM_MEDIA_TYPE} only, not ${types.join(', ') || 'nothing'}`);
        const media = content?.[PROBLEM_MEDIA_TYPE];
        if ((media?.schema as Json | undefined)?.$ref !== PROBLEM_REF) fail(rwhere, `an error's schema is ${PROBLEM_REF}`);
        if (Object.keys(media?.examples ?? {}).length === 0) fail(rwhere, 'lists no problem code');
        for (const [name, value] of Object.entries(media?.examples ?? {})) {
          if ((value.value as Json | undefined)?.code !== name || (value.value as Json | undefined)?.status !== code) fail(rwhere, `example ${name} is not a ${code} ${name}`);
        }
        if (media?.schema) checkSchema(rwhere, media.schema, examplesOf(media));
      } else if (code !== 204 && code !== 304 && code >= 200) {
        if (!content || Object.keys(content).length === 0) fail(rwhere, 'a success body without a media type and schema');
        for (const [type, media] of Object.entries(content ?? {})) {
          if (!media.schema) fail(`${rwhere} ${type}`, 'no schema');
          else checkSchema(`${rwhere} ${type}`, media.schema, examplesOf(media));
        }
      }
    }
  }
  return problems;
}

/** The problem codes the document lists for an operation's status. */
export function documentedCodes(op: Operation['op'], status: number): string[] {
  const media = (op.responses?.[String(status)]?.content as Record<string, Media> | undefined)?.[PROBLEM_MEDIA_TYPE];
  return Object.keys(media?.examples ?? {});
}
