// What keeps an abusive query from becoming a slow server: text length and token count (checked
// before parsing), depth (mercurius queryDepth), estimated cost (graphql-query-complexity, with
// the variables, before execution), `first` bounds (resolvers), no batched queries, and no
// introspection in production. Each refusal is a GraphQL error with a stable code.

import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { ComplexityEstimator, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { gqlError } from './errors.js';
import { graphql, queryComplexity } from './graphql-cjs.js';

const { getNamedType, isLeafType } = graphql;

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

/** Throws `query_too_complex` when the operation's estimated cost is over the limit. */
/**
 * Costs already computed, per parsed document (mercurius hands the same document object to every
 * request with the same query text) and variables: costing walks the whole document, and the
 * frontends send the same few queries over and over.
 */
const costs = new WeakMap<DocumentNode, Map<string, number>>();
const MAX_COSTS_PER_DOCUMENT = 100;

export function checkComplexity(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, max: number): void {
  const known = costs.get(document) ?? new Map<string, number>();
  const key = JSON.stringify(variables ?? {});
  let cost = known.get(key);
  if (cost === undefined) {
    try {
      cost = queryComplexity.getComplexity({ schema, query: document, variables: variables ?? {}, estimators: [estimator], maxQueryNodes: 10_000 });
    } catch (err) {
      // Too many nodes, or variables that do not fit the document (execution would refuse them).
      throw gqlError('query_too_complex', `the query cannot be costed: ${(err as Error).message}`);
    }
    if (known.size >= MAX_COSTS_PER_DOCUMENT) known.clear();
    known.set(key, cost);
    costs.set(document, known);
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
