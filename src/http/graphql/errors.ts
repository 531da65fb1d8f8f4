// GraphQL errors with the same stable codes as REST's problem+json: every error leaves with
// `extensions.code` (and `extensions.status`, the HTTP status REST would have answered). Core and
// HTTP errors are mapped by src/http/error-mapping.ts; mercurius' own errors by their code;
// anything unknown is logged and becomes `internal_error` without its message.

import type { FastifyBaseLogger } from 'fastify';
import type { ExecutionResult, FormattedExecutionResult, GraphQLError as GraphQLErrorType } from 'graphql';
import { graphql } from './graphql-cjs.js';
import { InvalidListFilterError, InvalidPageCursorError } from '../../queries/images/images-query.js';
import { toHttpProblem } from '../error-mapping.js';

const { GraphQLError } = graphql;
type GraphQLError = GraphQLErrorType;

/** An error a resolver throws on purpose. */
export function gqlError(code: string, message: string, status = 400, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, status, ...extra } });
}

interface Coded {
  code: string;
  status: number;
  message: string;
  extra?: Record<string, unknown>;
}

const MERCURIUS_CODES: Record<string, [string, number]> = {
  MER_ERR_GQL_QUERY_DEPTH: ['query_too_deep', 400],
  MER_ERR_METHOD_NOT_ALLOWED: ['method_not_allowed', 405],
  MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND: ['query_missing', 400],
  MER_ERR_GQL_SUBSCRIPTION_FORBIDDEN: ['forbidden', 403],
  MER_ERR_GQL_SUBSCRIPTION_INVALID_OPERATION: ['invalid_operation', 400],
  MER_ERR_GQL_CSRF_PREVENTION: ['csrf_prevented', 400],
  // fastify's, on mercurius' routes: the body over GRAPHQL_MAX_BODY_BYTES (REST's code too).
  FST_ERR_CTP_BODY_TOO_LARGE: ['body_too_large', 413],
};

/**
 * graphql-js appends " Did you mean …?" to the messages of unknown fields, arguments, types and
 * enum values. Validation is told not to (hideSuggestions); variable coercion is run by mercurius
 * and graphql-jit without that option, so in production the formatter also cuts the suffix.
 */
const SUGGESTION = / Did you mean [^]*\?$/;

export interface ErrorFormatOptions {
  /** Drop "Did you mean …?" (production: the schema is not for strangers to explore). */
  hideSuggestions?: boolean;
}

function classify(error: GraphQLError | Error): Coded | undefined {
  const ext = error instanceof GraphQLError ? error.extensions : undefined;
  if (ext && typeof ext.code === 'string') {
    const { code, status, ...extra } = ext;
    return { code, status: typeof status === 'number' ? status : 400, message: error.message, extra };
  }
  let original = error instanceof GraphQLError ? (error.originalError ?? undefined) : error;
  // graphql-js wraps its own errors too (a variable's coercion keeps the enum's or scalar's error):
  // a coded one is answered with its code, an uncoded one like graphql-js' own (below).
  if (original instanceof GraphQLError && original !== error) {
    if (typeof original.extensions.code === 'string') return classify(original);
    original = undefined;
  }
  if (original) {
    if (original instanceof InvalidPageCursorError) return { code: original.code, status: 400, message: original.message };
    if (original instanceof InvalidListFilterError) return { code: original.code, status: 400, message: original.message };
    const problem = toHttpProblem(original);
    if (problem) {
      const extra = typeof problem.extensions.retryAfterSeconds === 'number' ? { retryAfterSeconds: problem.extensions.retryAfterSeconds } : undefined;
      return { code: problem.code, status: problem.status, message: problem.detail ?? problem.title, ...(extra ? { extra } : {}) };
    }
    const merCode = (original as { code?: unknown }).code;
    if (typeof merCode === 'string') {
      const known = MERCURIUS_CODES[merCode];
      if (known) return { code: known[0], status: known[1], message: original.message };
      const status = (original as { statusCode?: unknown }).statusCode;
      if (merCode === 'FST_ERR_VALIDATION' || (typeof status === 'number' && status >= 400 && status < 500)) {
        return { code: 'bad_request', status: typeof status === 'number' ? status : 400, message: original.message };
      }
    }
    return undefined;
  }
  // No original error: graphql-js' own parse and validation errors.
  if (error.message.startsWith('Syntax Error: Document contains more tha')) return { code: 'query_too_large', status: 400, message: error.message };
  if (error.message.startsWith('Syntax Error')) return { code: 'graphql_parse_failed', status: 400, message: error.message };
  return { code: 'graphql_validation_failed', status: 400, message: error.message };
}

/** One error, as it goes out (query response or WebSocket `error` / `next` message). */
export function formatError(error: GraphQLError | Error, log: FastifyBaseLogger, opts: ErrorFormatOptions = {}): GraphQLError {
  const gql = error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error });
  const coded = classify(gql);
  if (!coded) {
    log.error({ err: gql.originalError ?? gql }, 'GraphQL resolver failed');
    return new GraphQLError('Internal server error', { nodes: gql.nodes, positions: gql.positions, path: gql.path, extensions: { code: 'internal_error', status: 500 } });
  }
  const message = opts.hideSuggestions ? coded.message.replace(SUGGESTION, '') : coded.message;
  return new GraphQLError(message, { nodes: gql.nodes, positions: gql.positions, path: gql.path, extensions: { code: coded.code, status: coded.status, ...coded.extra } });
}

/** mercurius wraps validation failures in one error holding the list (`originalError.errors`). */
function flatten(errors: readonly GraphQLError[]): (GraphQLError | Error)[] {
  return errors.flatMap((e) => {
    const inner = (e.originalError as { errors?: unknown } | undefined)?.errors;
    return Array.isArray(inner) ? (inner as (GraphQLError | Error)[]) : [e];
  });
}

/**
 * mercurius `errorFormatter`: codes on every error. HTTP status: 200 when there is data (partial
 * results), else the status of the first error (400 for a bad document, 401, 503 …).
 */
export function createErrorFormatter(log: FastifyBaseLogger, opts: ErrorFormatOptions = {}) {
  return function errorFormatter(execution: ExecutionResult & { errors: readonly GraphQLError[] }): { statusCode: number; response: FormattedExecutionResult } {
    const errors = flatten(execution.errors).map((e) => formatError(e, log, opts));
    const first = errors[0]?.extensions.status;
    const statusCode = execution.data ? 200 : typeof first === 'number' ? first : 400;
    // Errors raised while executing (they have a `path`) carry no `locations`: compiled queries
    // (graphql-jit, after a query's second use) cannot give them, and an error must not change
    // shape with how often its query was sent. Parse and validation errors keep theirs.
    const shaped = errors.map((e) => {
      const json = e.toJSON();
      if (json.path === undefined) return json;
      const { locations: _locations, ...rest } = json;
      return rest;
    });
    return { statusCode, response: { data: execution.data ?? null, errors: shaped } };
  };
}
