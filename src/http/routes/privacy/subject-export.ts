// GET /v1/me/export (issue 15 item 7; GDPR Art. 15 and 20): everything the system holds about the
// caller, opened, as one JSON document (src/queries/privacy/subject-export.ts), streamed as it is
// produced and offered as a download. `consistentWith=<position>` first waits until the read models
// it lists from (users, sessions, images) have applied that position.

import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SubjectExport } from '../../../queries/privacy/subject-export.js';
import type { ApiServices } from '../../api-services.js';
import { principalOf } from '../../auth-guard.js';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from '../../problem.js';
import type { RouteGroup } from '../../route-group.js';
import { ConsistentWithQuery, responses } from '../../schemas.js';

export function subjectExportRoutes(parent: FastifyInstance, s: ApiServices): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const exporter = new SubjectExport(s.rt.pool, s.rt.eventStore);
  app.get(
    '/v1/me/export',
    {
      preHandler: s.guards.authenticate,
      schema: {
        tags: ['privacy'],
        summary: 'Everything held about the caller, opened, as one JSON document (download; erased fields read {"$erased": true})',
        security: [{ bearer: [] }],
        querystring: ConsistentWithQuery,
        response: responses({ 200: Type.Object({}, { additionalProperties: true, description: 'One JSON document (streamed, sent as an attachment): the account, consents, sessions, images with their faces, and the access log about you' }) }, 400, 401, { 404: ['not_found'] }, 503),
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      await s.ensureConsistent(request.query.consistentWith, ['users', 'sessions', 'images']);
      if (!(await exporter.exists(userId))) throw new HttpProblem(404, 'not_found', 'Not found', 'nothing is recorded for this account');
      const now = new Date();
      const body = Readable.from(exporter.document(userId, now), { objectMode: false });
      body.on('error', (err) => request.log.error({ err }, 'subject export failed while streaming'));
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="facetrail-export-${userId}-${now.toISOString().slice(0, 10)}.json"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}

export const subjectExportRouteGroup: RouteGroup = {
  name: 'subject-export',
  register: (app, s) => subjectExportRoutes(app, s),
};
