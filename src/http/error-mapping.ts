// Maps the errors the core throws on purpose to HTTP problems. Anything not listed is a 500.

import { AuthError } from '../auth/errors.js';
import { DomainError, type DomainErrorKind } from '../domain/decider.js';
import { EventStoreUnavailableError, InvalidEventError, WrongExpectedRevisionError } from '../eventstore/errors.js';
import { InvalidCursorError } from '../eventstore/position.js';
import { InvalidRevisionError } from '../eventstore/revision.js';
import { InvalidDateError } from '../queries/dates.js';
import { ConsentWithdrawnError, NoLiveKeyError, SubjectErasedError } from '../privacy/errors.js';
import { HttpProblem } from './problem.js';

/** The status and title of each kind of DomainError (tests: which status a domain code answers). */
export const KIND_STATUS: Readonly<Record<DomainErrorKind, [number, string]>> = {
  invalid: [400, 'Invalid request'],
  unauthorized: [401, 'Unauthorized'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'Not found'],
  conflict: [409, 'Conflict'],
};

export function toHttpProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (error instanceof DomainError) {
    const [status, title] = KIND_STATUS[error.kind];
    return new HttpProblem(status, error.code, title, error.message);
  }
  if (error instanceof AuthError) return new HttpProblem(401, error.code, 'Unauthorized', error.message);
  if (error instanceof InvalidCursorError) return new HttpProblem(400, error.code, 'Invalid cursor', error.message);
  if (error instanceof InvalidRevisionError) return new HttpProblem(400, error.code, 'Invalid revision', error.message);
  if (error instanceof InvalidDateError) return new HttpProblem(400, error.code, 'Bad request', error.message);
  if (error instanceof WrongExpectedRevisionError) return new HttpProblem(409, 'concurrent_modification', 'Conflict', 'the resource changed meanwhile; try again');
  if (error instanceof InvalidEventError) return new HttpProblem(400, error.code, 'Invalid request', error.message);
  // Personal data for an erased subject, or biometric data whose consent was withdrawn meanwhile.
  if (error instanceof ConsentWithdrawnError) return new HttpProblem(409, error.code, 'Conflict', 'consent for this purpose has been withdrawn; give it again first (POST /v1/me/consents)');
  if (error instanceof SubjectErasedError) return new HttpProblem(409, error.code, 'Conflict', 'this account or image has been erased');
  if (error instanceof NoLiveKeyError) return new HttpProblem(409, 'subject_erased', 'Conflict', 'the personal data of this account or image has been erased');
  if (error instanceof EventStoreUnavailableError) {
    return new HttpProblem(503, error.code, 'Service unavailable', 'the event store is not answering; try again shortly', { retryAfterSeconds: 2 });
  }
  return undefined;
}
