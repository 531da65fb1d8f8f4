// The HTTP side of the biometric access log (src/commands/access/access-log.ts): every route or
// resolver that is about to send biometric content calls `recordAccess` with whose data it holds,
// and sends only once that resolves. The purpose comes from the `X-Access-Purpose` header (GraphQL:
// the same header), at most 200 printable characters; a bad one is 400 invalid_access_purpose. A
// record that cannot be written is 503 access_log_unavailable, and nothing is served.

import type { FastifyRequest } from 'fastify';
import type { AccessLog } from '../commands/access/access-log.js';
import { AccessLogUnavailableError } from '../commands/access/access-log.js';
import type { AccessedSubject, AccessField } from '../domain/access/access-events.js';
import { purposeProblem } from '../domain/access/access-events.js';
import type { Principal } from './auth-guard.js';
import { HttpProblem } from './problem.js';

export const ACCESS_PURPOSE_HEADER = 'x-access-purpose';

/** The purpose a request gives, or null; 400 invalid_access_purpose when it is not acceptable. */
export function accessPurposeOf(request: Pick<FastifyRequest, 'headers'>): string | null {
  const raw = request.headers[ACCESS_PURPOSE_HEADER];
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  const problem = purposeProblem(value);
  if (problem) throw new HttpProblem(400, 'invalid_access_purpose', 'Bad request', `${ACCESS_PURPOSE_HEADER}: ${problem}`);
  return value.trim();
}

export const accessLogUnavailable = (_err: AccessLogUnavailableError) =>
  new HttpProblem(503, 'access_log_unavailable', 'Service unavailable', 'the access to biometric data could not be recorded, so it is not served; try again', { retryAfterSeconds: 1 });

/** Records the access (unless it is the caller's own data only) before anything is sent. */
export async function recordAccess(
  log: AccessLog,
  request: FastifyRequest,
  principal: Pick<Principal, 'userId' | 'role'>,
  subjects: readonly AccessedSubject[],
  fields: readonly AccessField[],
  route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
  opts: { identification?: boolean } = {},
): Promise<void> {
  const purpose = accessPurposeOf(request);
  if (subjects.length === 0) return;
  try {
    await log.record({ accessor: { id: principal.userId, role: principal.role }, subjects, fields, route, purpose, requestId: request.id, ...(opts.identification ? { identification: true } : {}) });
  } catch (err) {
    if (err instanceof AccessLogUnavailableError) throw accessLogUnavailable(err);
    throw err;
  }
}

/** The subject of an image read with its faces: its owner, when there are faces to show. */
export function faceReadSubjects(image: { imageId: string; ownerId: string; faces: readonly unknown[] }): AccessedSubject[] {
  return image.faces.length > 0 ? [{ subjectId: image.ownerId, imageIds: [image.imageId] }] : [];
}

/** Faces are boxes, scores and landmarks; descriptors only when asked for. */
export const faceReadFields = (descriptors: boolean): AccessField[] => (descriptors ? ['faces', 'landmarks', 'descriptors'] : ['faces', 'landmarks']);

/**
 * Events as they stream out (the NDJSON export): taken in groups of up to `group`, each group's
 * access recorded (when it shows anyone's faces) before any event of it is passed on.
 */
export async function* recordedInGroups<E>(events: AsyncIterable<E>, record: (group: readonly E[]) => Promise<void>, group = 500): AsyncGenerator<E> {
  let buffer: E[] = [];
  for await (const e of events) {
    buffer.push(e);
    if (buffer.length >= group) {
      await record(buffer);
      yield* buffer;
      buffer = [];
    }
  }
  if (buffer.length > 0) {
    await record(buffer);
    yield* buffer;
  }
}

/** The fields an audit event with faces shows: the whole face records (boxes, landmarks, descriptors). */
export const AUDIT_FACE_FIELDS: readonly AccessField[] = ['faces', 'landmarks', 'descriptors'];
