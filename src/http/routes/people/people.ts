// People (issue 17): the caller's people and their curation — create (with faces: taken from other
// people, a split), rename, add and take out faces, merge, undo, delete — and each person's
// history. A person is its owner's: 404 for anyone else. Every route needs face_recognition
// consent (409 consent_required); a command answers the position of its last event, for
// `consistentWith` on the reads.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { PeopleResult, PeopleService } from '../../../commands/people/people-service.js';
import { MAX_FACES_PER_COMMAND, MAX_PERSON_NAME } from '../../../domain/people/person-events.js';
import { positionToCursor } from '../../../eventstore/position.js';
import { InvalidPeopleCursorError, MAX_PEOPLE_PAGE, type PeopleQuery } from '../../../queries/people/people-query.js';
import { PeoplePage, PersonHistory, PersonWithFaces } from '../../../queries/people/shapes.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { HttpProblem } from '../../problem.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

export interface PeopleRouteDeps {
  people: PeopleService;
  query: PeopleQuery;
  requireRecognitionConsent: (userId: string) => Promise<void>;
  authenticate: Guard;
  ensureConsistent: EnsureConsistent;
}

const security = [{ bearer: [] }];
const tags = ['people'];
const PersonParams = Type.Object({ personId: Uuid });
const Name = Type.Union([Type.String({ maxLength: MAX_PERSON_NAME * 4 }), Type.Null()], { description: `The person's name (at most ${MAX_PERSON_NAME} characters; null or blank: unnamed)` });
const FaceIds = Type.Array(Uuid, { minItems: 1, maxItems: MAX_FACES_PER_COMMAND, description: 'faceIds from the images API' });
const Changed = Type.Object({ personId: Uuid, position: Type.Union([PositionCursor, Type.Null()], { description: 'Of the last event recorded (null: nothing changed)' }) });
const Consistent = { consistentWith: Type.Optional({ ...PositionCursor, description: 'Wait until the people read model has applied this position' }) };
const notFound = () => new HttpProblem(404, 'person_not_found', 'Not found', 'no such person');
/** Every people route: face_recognition consent (409 consent_required), one of your people (404). */
const READ = { 404: ['person_not_found'], 409: ['consent_required'] } as const;
/** The curation commands (src/commands/people, src/domain/people/person.ts). */
const CURATE = {
  400: ['name_too_long', 'too_many_faces', 'invalid_revision'],
  404: ['person_not_found', 'face_not_found', 'face_not_in_person'],
  409: ['consent_required', 'merge_into_itself', 'person_merged', 'nothing_to_undo'],
} as const;

/** `toRevision` of an optional JSON body (a POST with no body at all undoes the newest step). */
function toRevisionOf(body: unknown): number | undefined {
  if (body === undefined || body === null) return undefined;
  const keys = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : undefined;
  const value = (body as { toRevision?: unknown }).toRevision;
  if (!keys || keys.some((k) => k !== 'toRevision') || (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0))) {
    throw new HttpProblem(400, 'validation_failed', 'Request validation failed', 'the body is {"toRevision": <revision>} or nothing');
  }
  return value as number | undefined;
}

const changed = (r: PeopleResult) => ({ personId: r.personId, position: r.position ? positionToCursor(r.position) : null });

export function peopleRoutes(parent: FastifyInstance, deps: PeopleRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const ctxOf = (requestId: string, p: { userId: string; role: 'user' | 'admin' | 'auditor' }) => ({ correlationId: requestId, actor: { id: p.userId, kind: 'user' as const, role: p.role } });

  app.get(
    '/v1/people',
    {
      preHandler: deps.authenticate,
      schema: {
        tags,
        summary: 'Your people, newest first. Needs face_recognition consent',
        security,
        querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 512 })), limit: Type.Integer({ minimum: 1, maximum: MAX_PEOPLE_PAGE, default: 50 }), ...Consistent }),
        response: responses({ 200: PeoplePage }, 400, 401, { 409: READ[409] }, 503),
      },
    },
    async (request) => {
      const p = principalOf(request);
      await deps.requireRecognitionConsent(p.userId);
      await deps.ensureConsistent(request.query.consistentWith, ['people']);
      try {
        return await deps.query.list(p.userId, { cursor: request.query.cursor, limit: request.query.limit });
      } catch (err) {
        if (err instanceof InvalidPeopleCursorError) throw new HttpProblem(400, err.code, 'Bad request', err.message);
        throw err;
      }
    },
  );

  app.get(
    '/v1/people/:personId',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'One of your people with its faces', security, params: PersonParams, querystring: Type.Object(Consistent), response: responses({ 200: PersonWithFaces }, 400, 401, READ, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      await deps.requireRecognitionConsent(p.userId);
      await deps.ensureConsistent(request.query.consistentWith, ['people']);
      const person = await deps.query.get(p.userId, request.params.personId);
      if (!person) throw notFound();
      return person;
    },
  );

  app.get(
    '/v1/people/:personId/history',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: "Every curation step of one of your people, oldest first, with who took it (a user or 'auto') and what it undid", security, params: PersonParams, response: responses({ 200: PersonHistory }, 400, 401, READ) },
    },
    async (request) => {
      const p = principalOf(request);
      await deps.requireRecognitionConsent(p.userId);
      const items = await deps.query.history(p.userId, request.params.personId);
      if (!items) throw notFound();
      return { personId: request.params.personId, items };
    },
  );

  app.post(
    '/v1/people',
    {
      preHandler: deps.authenticate,
      schema: {
        tags,
        summary: 'Create a person from some of your faces (faces that are another person’s move here: a split)',
        security,
        body: Type.Object({ name: Type.Optional(Name), faceIds: FaceIds }, { additionalProperties: false, examples: [{ name: 'Ada', faceIds: ['3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a'] }] }),
        response: responses({ 201: Changed }, 400, 401, CURATE, 503),
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const result = await deps.people.create(p.userId, { name: request.body.name ?? null, faceIds: request.body.faceIds }, ctxOf(request.id, p));
      return reply.status(201).header('location', `/v1/people/${result.personId}`).send(changed(result));
    },
  );

  app.patch(
    '/v1/people/:personId',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'Rename a person', security, params: PersonParams, body: Type.Object({ name: Name }, { additionalProperties: false, examples: [{ name: 'Ada Lovelace' }] }), response: responses({ 200: Changed }, 400, 401, CURATE, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.rename(p.userId, request.params.personId, request.body.name, ctxOf(request.id, p)));
    },
  );

  app.post(
    '/v1/people/:personId/faces',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'Add faces to a person (taken from whichever person had them)', security, params: PersonParams, body: Type.Object({ faceIds: FaceIds }, { additionalProperties: false, examples: [{ faceIds: ['3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a'] }] }), response: responses({ 200: Changed }, 400, 401, CURATE, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.assign(p.userId, request.params.personId, request.body.faceIds, ctxOf(request.id, p)));
    },
  );

  app.delete(
    '/v1/people/:personId/faces/:faceId',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'Take a face out of a person (automatic assignment never puts it back)', security, params: Type.Object({ personId: Uuid, faceId: Uuid }), response: responses({ 200: Changed }, 400, 401, CURATE, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.unassign(p.userId, request.params.personId, request.params.faceId, ctxOf(request.id, p)));
    },
  );

  app.post(
    '/v1/people/:personId/merge',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'Merge another person into this one (undo here gives it back)', security, params: PersonParams, body: Type.Object({ personId: Uuid }, { additionalProperties: false, examples: [{ personId: '0b7e4c1e-8f3a-4d2b-9c55-2a6f1d9e7b10' }] }), response: responses({ 200: Changed }, 400, 401, CURATE, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.merge(p.userId, request.params.personId, request.body.personId, ctxOf(request.id, p)));
    },
  );

  app.post(
    '/v1/people/:personId/undo',
    {
      preHandler: deps.authenticate,
      schema: {
        tags,
        summary: 'Undo the newest curation step of a person, or every step after toRevision (query, or JSON body {"toRevision"}), by compensating events',
        security,
        params: PersonParams,
        querystring: Type.Object({ toRevision: Type.Optional(Type.Integer({ minimum: 0, description: 'Undo every step after this revision of the person' })) }),
        response: responses({ 200: Changed }, 400, 401, CURATE, 503),
      },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.undo(p.userId, request.params.personId, request.query.toRevision ?? toRevisionOf(request.body), ctxOf(request.id, p)));
    },
  );

  app.delete(
    '/v1/people/:personId',
    {
      preHandler: deps.authenticate,
      schema: { tags, summary: 'Delete a person (its faces become unassigned; undo brings it back)', security, params: PersonParams, response: responses({ 200: Changed }, 400, 401, CURATE, 503) },
    },
    async (request) => {
      const p = principalOf(request);
      return changed(await deps.people.delete(p.userId, request.params.personId, ctxOf(request.id, p)));
    },
  );
}
