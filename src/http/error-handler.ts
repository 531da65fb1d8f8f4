// The fastify error handler: anything a route throws becomes problem+json (src/http/problem.ts),
// through the mapping of the core's errors (error-mapping.ts); unknown errors are 500s and are logged.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toHttpProblem } from './error-mapping.js';
import { problemBody, sendProblem } from './problem.js';
import { validationDetail, validationEntries } from './validation-errors.js';

/** Fastify's body-parser errors as problems: any route that reads a body can answer these (plugins/openapi.ts documents them). */
export const FASTIFY_CODES: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'Request body too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported media type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_body', 'Empty JSON body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_body', 'Malformed JSON body'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'malformed_body', 'Invalid Content-Length'],
};

/** Maps anything thrown by a route to problem+json. Unknown errors are 500s and are logged. */
export const VALIDATION_FAILED = 'validation_failed';

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const instance = request.url.split('?')[0];
  const mapped = toHttpProblem(error);
  if (mapped) {
    if (mapped.status === 401) reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${mapped.code}"`);
    const retryAfter = mapped.extensions.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return sendProblem(reply, problemBody({ status: mapped.status, code: mapped.code, title: mapped.title, detail: mapped.detail, instance, ...mapped.extensions }));
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const errors = validationEntries(fe.validation);
    return sendProblem(
      reply,
      problemBody({ status: 400, code: VALIDATION_FAILED, title: 'Request validation failed', detail: validationDetail(fe.validationContext, errors), instance, errors }),
    );
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) {
    return sendProblem(reply, problemBody({ status: known[0], code: known[1], title: known[2], detail: fe.message, instance }));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendProblem(reply, problemBody({ status: fe.statusCode, code: 'bad_request', title: 'Bad request', detail: fe.message, instance }));
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problemBody({ status: 500, code: 'internal_error', title: 'Internal server error', instance }));
}
