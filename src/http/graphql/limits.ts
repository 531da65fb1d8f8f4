// What keeps an abusive query from becoming a slow server: text length and token count (checked
// before parsing), depth (mercurius queryDepth), estimated cost (graphql-query-complexity, with
// the variables, before execution), `first` bounds (resolvers), no batched queries, and no
// introspection in production. Each refusal is a GraphQL error with a stable code.

import type { ArgumentNode, DocumentNode, GraphQLSchema } from 'graphql';
import type { ComplexityEstimator, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import { gqlError } from './errors.js';
import { graphql, queryComplexity } from './graphql-cjs.js';

const { getNamedType, isLeafType, visit } = graphql;

export interface GraphqlLimits {
  maxDepth: number;
  maxComplexity: number;
  maxFirst: number;
  maxQueryLength: number;
}

/** Fields that are lists without `first`: an assumed size (faces per image, points per face). */
const LIST_SIZE: Record<string, number> = { 'Image.faces': 10, 'Face.landmarks': 1, 'Face.descriptor': 1, 'Query.stats': 1 };

/**
 * Cost: leaves 0 (except a descriptor, 1 per face); an object field 1 plus its children; a field
 * with `first` (a connection) 1 + first × its children (an unbounded or absurd `first` counts as
 * the maximum, which the resolver refuses anyway); faces × 10.
 */
export const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }: ComplexityEstimatorArgs) => {
  const key = `${type.name}.${field.name}`;
  if (key === 'Face.descriptor') return 1;
  if (isLeafType(getNamedType(field.type))) return 0;
  if ('first' in args) {
    const first = typeof args.first === 'number' && args.first > 0 ? args.first : 1;
    return 1 + first * childComplexity;
  }
  return 1 + (LIST_SIZE[key] ?? 1) * childComplexity;
};

/**
 * Costs already computed (costing walks the whole document, and the frontends send the same few
 * queries over and over). The cost depends on the document and on the values of the variables that
 * feed a `first` or an `@include`/`@skip(if:)` — nothing else the estimator or the directives read
 * — so the key is the document (a number per parsed document: mercurius hands the same object to
 * every request with the same text) and those values only when they are numbers, booleans or null
 * (anything else is refused by execution and is costed without being kept). Bounded by bytes.
 */
const COST_CACHE_BYTES = 1024 * 1024;
const costs = new LRUCache<string, number>({ maxSize: COST_CACHE_BYTES, sizeCalculation: (_cost, key) => 64 + 2 * key.length });
const documentIds = new WeakMap<DocumentNode, { id: number; costVariables: readonly string[] }>();
let nextDocumentId = 0;

/** The cost cache's entries and (estimated) bytes, for tests and diagnostics. */
export function costCacheStats(): { entries: number; bytes: number } {
  return { entries: costs.size, bytes: costs.calculatedSize };
}

/** The variables a document passes to `first` arguments or to `if` of @include/@skip. */
function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (args: readonly ArgumentNode[] | undefined, name: string) => {
    for (const arg of args ?? []) if (arg.name.value === name) visit(arg.value, { Variable: (v) => void names.add(v.name.value) });
  };
  visit(document, {
    Field: (field) => collect(field.arguments, 'first'),
    Directive: (directive) => {
      if (directive.name.value === 'include' || directive.name.value === 'skip') collect(directive.arguments, 'if');
    },
  });
  return [...names].sort();
}

/** The cost cache key, or undefined when a cost variable holds something other than a scalar. */
function costKey(document: DocumentNode, variables: Record<string, unknown> | undefined): string | undefined {
  let known = documentIds.get(document);
  if (!known) {
    known = { id: nextDocumentId++, costVariables: costVariables(document) };
    documentIds.set(document, known);
  }
  let key = String(known.id);
  for (const name of known.costVariables) {
    const value = variables?.[name];
    if (value !== undefined && value !== null && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    key += `:${value === undefined ? 'u' : String(value)}`;
  }
  return key;
}

/**
 * Throws `query_too_complex` when the operation's estimated cost is over the limit. `keep: false`
 * for a document built for one call (a subscription's): its cost is not cached.
 */
export function checkComplexity(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, max: number, keep = true): void {
  const key = keep ? costKey(document, variables) : undefined;
  let cost = key === undefined ? undefined : costs.get(key);
  if (cost === undefined) {
    try {
      cost = queryComplexity.getComplexity({ schema, query: document, variables: variables ?? {}, estimators: [estimator], maxQueryNodes: 10_000 });
    } catch (err) {
      // Too many nodes, or variables that do not fit the document (execution would refuse them).
      throw gqlError('query_too_complex', `the query cannot be costed: ${(err as Error).message}`);
    }
    if (key !== undefined) costs.set(key, cost);
  }
  if (cost > max) throw gqlError('query_too_complex', `the query's estimated cost ${cost} is over the limit of ${max}; ask for fewer items (first) or fewer nested fields`, 400, { cost, limit: max });
}

/** Throws `query_too_long` for a query text over the limit (before it is parsed). */
export function checkLength(source: unknown, max: number): void {
  if (typeof source === 'string' && source.length > max) throw gqlError('query_too_long', `the query has ${source.length} characters; at most ${max}`, 413);
}

/** `first` of a connection: 1 … maxFirst. */
export function pageSize(first: number | null | undefined, maxFirst: number): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > maxFirst) throw gqlError('validation_failed', `first must be from 1 to ${maxFirst}`);
  return n;
}
