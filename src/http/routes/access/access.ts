// Reading the biometric access log (issue 16 item 5): GET /v1/audit/access for the staff (auditors
// and admins: every record, filtered by subject, accessor and time) and GET /v1/me/access for a
// user (who read their data). Newest first, paged with opaque cursors; `consistentWith` waits for
// the access-records projection.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { STAFF_ROLES } from '../../../domain/identity/policies.js';
import type { Role } from '../../../domain/identity/roles.js';
import type { AccessQuery} from '../../../queries/access/access-query.js';
import { InvalidAccessCursorError, MAX_ACCESS_PAGE, type AccessListOptions } from '../../../queries/access/access-query.js';
import { AccessRecordPage } from '../../../queries/access/shapes.js';
import { parseInstant } from '../../../queries/dates.js';
import { DateTimeInput } from '../../../queries/shapes.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { HttpProblem } from '../../problem.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

export interface AccessRouteDeps {
  query: AccessQuery;
  authenticate: Guard;
  requireRole: (...roles: Role[]) => Guard;
  ensureConsistent: EnsureConsistent;
}

const security = [{ bearer: [] }];
const Paging = {
  from: Type.Optional(DateTimeInput({ description: 'Accessed at or after this instant (inclusive)' })),
  to: Type.Optional(DateTimeInput({ description: 'Accessed before this instant (exclusive)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page (same filters only)' })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_ACCESS_PAGE, default: 50 }),
  consistentWith: Type.Optional(PositionCursor),
};

async function page(deps: AccessRouteDeps, q: { from?: string | undefined; to?: string | undefined; cursor?: string | undefined; limit: number; consistentWith?: string | undefined }, filters: Pick<AccessListOptions, 'subjectId' | 'accessorId'>) {
  const from = q.from === undefined ? undefined : parseInstant(q.from, 'from');
  const to = q.to === undefined ? undefined : parseInstant(q.to, 'to');
  if (from && to && from.getTime() > to.getTime()) throw new HttpProblem(400, 'invalid_range', 'Bad request', 'from is after to');
  await deps.ensureConsistent(q.consistentWith, ['access-records']);
  try {
    return await deps.query.list({ ...filters, from, to, cursor: q.cursor, limit: q.limit });
  } catch (err) {
    if (err instanceof InvalidAccessCursorError) throw new HttpProblem(400, err.code, 'Bad request', err.message);
    throw err;
  }
}

export function accessRoutes(parent: FastifyInstance, deps: AccessRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/audit/access',
    {
      preHandler: deps.requireRole(...STAFF_ROLES),
      schema: {
        tags: ['audit'],
        summary: 'Biometric access records (who read whose faces, content or annotated images), newest first; auditors and admins',
        security,
        querystring: Type.Object({
          subject: Type.Optional(Uuid),
          accessor: Type.Optional(Uuid),
          ...Paging,
        }),
        response: responses({ 200: AccessRecordPage }, 401, { 400: ['invalid_range', 'invalid_cursor'], 403: ['forbidden'] }, 503),
      },
    },
    async (request) => page(deps, request.query, { subjectId: request.query.subject?.toLowerCase(), accessorId: request.query.accessor?.toLowerCase() }),
  );

  app.get(
    '/v1/me/access',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['privacy'],
        summary: 'Who read your biometric data (faces, content, annotated images), newest first',
        security,
        querystring: Type.Object(Paging),
        response: responses({ 200: AccessRecordPage }, 401, { 400: ['invalid_range', 'invalid_cursor'] }, 503),
      },
    },
    async (request) => page(deps, request.query, { subjectId: principalOf(request).userId }),
  );
}
