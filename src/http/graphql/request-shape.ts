// The shape of a GraphQL request over HTTP, checked in a preValidation hook of /graphql: after the
// body is parsed, before mercurius' schema coercion (which turns 123 into "123" and ["q"] into "q"),
// before the response memo and before anything serialises or walks the variables. `query` and
// `operationName` are strings (or absent), `variables` and `extensions` objects (or absent), and
// neither nests deeper than the limit: the walk is iterative, so no depth can overflow the stack,
// and it runs before JSON.stringify (response memo) or graphql's coercion (recursive) see them.
// A query text that is JSON is refused too: mercurius would take it for a parsed document.

import { gqlError } from './errors.js';

interface GraphqlBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `value` holds arrays or objects nested more than `max` levels (the value itself is level 1). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** The deepest nesting of `[`/`{` in a JSON text (strings skipped), without parsing it. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * True when mercurius would read `source` as a JSON document AST: it JSON.parses any text that fails
 * to parse as GraphQL, and no valid JSON text is a valid GraphQL executable document. Texts that
 * cannot start a JSON value are passed without trying.
 */
export function looksLikeJson(source: string): boolean {
  let i = 0;
  while (i < source.length && /\s/.test(source[i]!)) i++;
  const first = source[i];
  if (first === undefined) return false;
  if (first === '{') {
    let j = i + 1;
    while (j < source.length && /\s/.test(source[j]!)) j++;
    if (source[j] !== '"' && source[j] !== '}') return false;
  } else if (!'["-0123456789tfn'.includes(first)) return false;
  try {
    JSON.parse(source);
    return true;
  } catch {
    return false;
  }
}

/** Throws `graphql_parse_failed` for a query text that is JSON (see looksLikeJson). */
export function checkNotJson(source: unknown): void {
  if (typeof source === 'string' && looksLikeJson(source)) throw gqlError('graphql_parse_failed', 'the query must be GraphQL text (a JSON document is not accepted)', 400);
}

const badRequest = (message: string) => gqlError('bad_request', message, 400);

function tooDeep(what: string, max: number) {
  return gqlError('variables_too_deep', `${what} nest deeper than ${max} levels`, 400, { limit: max });
}

/** Throws a coded GraphQL error (400) for a POST body of the wrong shape or too deep. */
export function checkPostBody(body: unknown, maxDepth: number): void {
  if (Array.isArray(body)) return; // a batch: mercurius refuses it (batching is off) with bad_request
  if (!isPlainObject(body)) throw badRequest('the body must be a JSON object {query, variables?, operationName?}');
  const { query, variables, operationName, extensions } = body as GraphqlBody;
  if (query !== undefined && query !== null && typeof query !== 'string') throw badRequest('query must be a string');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') throw badRequest('operationName must be a string');
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) throw badRequest('variables must be an object');
  if (extensions !== undefined && !isPlainObject(extensions)) throw badRequest('extensions must be an object');
  if (nestedDeeperThan(variables, maxDepth)) throw tooDeep('the variables', maxDepth);
  if (nestedDeeperThan(extensions, maxDepth)) throw tooDeep('the extensions', maxDepth);
}

/** The same for GET: variables and extensions arrive as JSON text (mercurius parses them later). */
export function checkQueryString(query: unknown, maxDepth: number): void {
  if (!isPlainObject(query)) return;
  for (const name of ['query', 'operationName', 'variables', 'extensions'] as const) {
    const value = query[name];
    if (value !== undefined && typeof value !== 'string') throw badRequest(`${name} must be given once, as a string`);
  }
  // The variables object itself is one level.
  for (const name of ['variables', 'extensions'] as const) {
    const text = query[name];
    if (typeof text === 'string' && jsonTextDepth(text) > maxDepth) throw tooDeep(`the ${name}`, maxDepth);
  }
}
