// /v1/images: upload, list, read (with faces), content, annotated PNG, reanalyze, delete; /v1/stats.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '../../../blobs/blob-store.js';
import type { ImageService } from '../../../commands/images/image-service.js';
import type { ErasureService } from '../../../commands/privacy/erasure-service.js';
import type { AccessLog } from '../../../commands/access/access-log.js';
import { faceReadFields, faceReadSubjects, recordAccess } from '../../access-log-hook.js';
import { viewerOf, type Viewer } from '../../../domain/identity/viewer.js';
import type { ModelRef } from '../../../domain/images/image-events.js';
import { cursorToPosition, positionToCursor } from '../../../eventstore/position.js';
import { annotate } from '../../../inference/annotate.js';
import type { CachedImagesQuery, ReadOptions } from '../../../queries/images/cached-images-query.js';
import { InvalidListFilterError, InvalidPageCursorError } from '../../../queries/images/images-query.js';
import { dayRange } from '../../../queries/dates.js';
import { DayStats, ImageListPage, ImageStatus, ImageWithFaces } from '../../../queries/images/shapes.js';
import { DateTimeInput, DayInput } from '../../../queries/shapes.js';
import { imageResponse, type ImageHistory } from '../../../queries/images/image-history.js';
import { AsOfFields, AsOfQuery, asOfParam } from '../../as-of.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { frozenBodies } from '../../frozen-body.js';
import { HttpProblem } from '../../problem.js';
import { sha256Hex } from '../../../blobs/blob-store.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { recordUpload } from './record-upload.js';
import { readUploadBody, type UploadChecks } from './upload.js';
import type { UploadRateLimit } from './upload-rate-limit.js';
import { binary, PositionCursor, responses, Uuid } from '../../schemas.js';

export interface ImageRouteDeps {
  images: ImageService;
  /** Reads through the Redis cache (or straight to PostgreSQL with READ_CACHE=off). */
  query: CachedImagesQuery;
  /** Images as they were (asOf). */
  history: ImageHistory;
  blobs: BlobStore;
  authenticate: Guard;
  ensureConsistent: EnsureConsistent;
  currentModel: () => ModelRef;
  /** DELETE erases the image (issue 15): the erasure service and how long the route waits for its receipt. */
  erasures?: { service: Pick<ErasureService, 'request' | 'awaitReceipt'>; waitMs: number };
  /** Size and pixel limits, and the pixel budget of the upload checks. */
  uploads: UploadChecks;
  rateLimit: UploadRateLimit;
  /** Reads of someone else's faces, content or annotated image are recorded before they are sent (issue 16). */
  access: AccessLog;
}

const Accepted = Type.Object({ imageId: Uuid, status: Type.Literal('pending'), position: PositionCursor });
const IdParams = Type.Object({ imageId: Uuid });
const Consistent = { consistentWith: Type.Optional(PositionCursor) };
const security = [{ bearer: [] }];

/** The position a read must reflect (the cache serves an entry only if it is at least as new). */
const readAt = (consistentWith: string | undefined): ReadOptions => ({ consistentWith: consistentWith === undefined ? undefined : cursorToPosition(consistentWith) });

const notFound = () => new HttpProblem(404, 'image_not_found', 'Not found', 'no such image');

/** The upload form (documentation only: the handler reads it with request.parts(), upload.ts). */
const UploadForm = Type.Object(
  { file: Type.String({ format: 'binary', description: 'The photo: JPEG, PNG or WebP (checked by content), within MAX_UPLOAD_BYTES and MAX_IMAGE_PIXELS' }) },
  { required: ['file'], description: 'Exactly one file, in the field "file"; other text fields are ignored' },
);
/** What upload.ts refuses (the form, the bytes) and what recording it can meet. */
const UPLOAD_PROBLEMS = {
  400: ['file_missing', 'empty_file', 'wrong_field', 'too_many_files', 'too_many_parts', 'malformed_multipart', 'invalid_idempotency_key'],
  409: ['consent_required', 'image_exists', 'subject_erased'],
  413: ['file_too_large'],
  415: ['not_multipart', 'unsupported_format'],
  422: ['image_too_large', 'corrupt_image', 'idempotency_key_reused'],
  429: ['upload_rate_limited'],
  503: ['uploads_busy'],
} as const;

export function imageRoutes(parent: FastifyInstance, deps: ImageRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const ctxOf = (requestId: string, p: Viewer) => ({ correlationId: requestId, actor: { id: p.userId, kind: 'user' as const, role: p.role } });

  app.post(
    '/v1/images',
    {
      preHandler: deps.authenticate,
      // A rejected upload may leave part of its body unread: close the connection rather than
      // let the next request on it be parsed from the leftover bytes.
      onError: (_request, reply, _error, done) => {
        reply.header('connection', 'close');
        done();
      },
      schema: {
        tags: ['images'],
        summary: 'Upload a photo (multipart/form-data, field "file": JPEG, PNG or WebP); analysis starts in the background. Needs face_analysis consent (else 409 consent_required)',
        security,
        multipartBody: UploadForm,
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ description: 'Makes a retry safe: the same key (per user) with the same bytes answers the first upload\'s 202 again and writes nothing; with other bytes, 422 idempotency_key_reused. 1–128 of A–Z a–z 0–9 ._~:+/=-' })),
        }),
        response: responses({ 202: Accepted }, 401, UPLOAD_PROBLEMS),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const idempotencyKey = idempotencyKeyOf(request);
      await deps.rateLimit.take(principal.userId);
      const body = await readUploadBody(request, deps.uploads);
      const upload = { ownerId: principal.userId, body, sha256: sha256Hex(body.data), idempotencyKey };
      const { imageId, position, replayed } = await recordUpload(deps, upload, ctxOf(request.id, principal));
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(202).header('location', `/v1/images/${imageId}`).send({ imageId, status: 'pending' as const, position: positionToCursor(position) });
    },
  );

  app.get(
    '/v1/images',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['images'],
        summary: 'Images, newest first unless ordering=uploadedAt (own images; all for admins and auditors); a cursor only continues the same ordering and filters',
        security,
        querystring: Type.Object({
          status: Type.Optional(ImageStatus),
          from: Type.Optional(DateTimeInput({ description: 'Uploaded at or after this instant (inclusive)' })),
          to: Type.Optional(DateTimeInput({ description: 'Uploaded before this instant (exclusive)' })),
          ordering: Type.Optional(Type.Union([Type.Literal('-uploadedAt'), Type.Literal('uploadedAt')], { default: '-uploadedAt', description: '-uploadedAt: newest first; uploadedAt: oldest first' })),
          cursor: Type.Optional(Type.String({ maxLength: 512 })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          ...Consistent,
        }),
        response: responses({ 200: ImageListPage }, 400, 401, 503),
      },
    },
    async (request) => {
      await deps.ensureConsistent(request.query.consistentWith, ['images']);
      try {
        const { status, from, to, ordering, cursor, limit } = request.query;
        return await deps.query.list(viewerOf(principalOf(request)), { status, uploadedFrom: from, uploadedTo: to, ordering, cursor, limit }, readAt(request.query.consistentWith));
      } catch (err) {
        if (err instanceof InvalidPageCursorError || err instanceof InvalidListFilterError) throw new HttpProblem(400, err.code, 'Bad request', err.message);
        throw err;
      }
    },
  );

  const imageBody = frozenBodies();
  app.get(
    '/v1/images/:imageId',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['images'],
        summary: 'One image with its faces (box, score, 68 landmarks; descriptors with include=descriptor); asOf: as it was then',
        security,
        params: IdParams,
        querystring: Type.Object({ include: Type.Optional(Type.Literal('descriptor')), asOf: Type.Optional(AsOfQuery), ...Consistent }),
        response: responses({ 200: Type.Composite([ImageWithFaces, AsOfFields]) }, 400, 401, { 400: ['invalid_access_purpose'], 404: ['image_not_found'], 503: ['access_log_unavailable'] }),
      },
    },
    async (request, reply) => {
      const { asOf } = request.query;
      if (asOf !== undefined) {
        const then = await deps.history.at(viewerOf(principalOf(request)), request.params.imageId, asOfParam(asOf));
        if (!then) throw notFound();
        const body = { ...imageResponse(then, request.query.include === 'descriptor'), asOf, revision: then.revision.toString() };
        await recordAccess(deps.access, request, principalOf(request), faceReadSubjects(body), faceReadFields(request.query.include === 'descriptor'));
        return body;
      }
      await deps.ensureConsistent(request.query.consistentWith, ['images']);
      const image = await deps.query.getWithFaces(viewerOf(principalOf(request)), request.params.imageId, request.query.include === 'descriptor', readAt(request.query.consistentWith));
      if (!image) throw notFound();
      await recordAccess(deps.access, request, principalOf(request), faceReadSubjects(image), faceReadFields(request.query.include === 'descriptor'));
      return imageBody(reply, image);
    },
  );

  app.get(
    '/v1/images/:imageId/content',
    {
      preHandler: deps.authenticate,
      schema: { tags: ['images'], summary: 'The original bytes', security, params: IdParams, querystring: Type.Object(Consistent), response: responses({ 200: binary('The original bytes, as uploaded (ETag: their SHA-256)', 'image/jpeg', 'image/png', 'image/webp'), 304: Type.Null({ description: 'Not modified (If-None-Match matched the ETag)' }) }, 401, { 400: ['invalid_access_purpose'], 404: ['image_not_found', 'content_missing'], 503: ['access_log_unavailable'] }) },
    },
    async (request, reply) => {
      await deps.ensureConsistent(request.query.consistentWith, ['images']);
      const image = await deps.query.get(viewerOf(principalOf(request)), request.params.imageId, readAt(request.query.consistentWith));
      if (!image) throw notFound();
      const etag = `"${image.sha256}"`;
      reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      const blob = await deps.blobs.get(image.sha256);
      if (!blob) throw new HttpProblem(404, 'content_missing', 'Not found', 'the image bytes are gone');
      await recordAccess(deps.access, request, principalOf(request), [{ subjectId: image.ownerId, imageIds: [image.imageId] }], ['content']);
      return reply.type(image.contentType).header('content-length', blob.size).send(blob.data);
    },
  );

  app.get(
    '/v1/images/:imageId/annotated',
    {
      preHandler: deps.authenticate,
      schema: { tags: ['images'], summary: 'PNG with face boxes and landmarks drawn', security, params: IdParams, querystring: Type.Object(Consistent), response: responses({ 200: binary('The image with each face box and its 68 landmarks drawn', 'image/png') }, 401, { 400: ['invalid_access_purpose'], 404: ['image_not_found', 'content_missing'], 409: ['not_analyzed'], 503: ['access_log_unavailable'] }) },
    },
    async (request, reply) => {
      await deps.ensureConsistent(request.query.consistentWith, ['images']);
      const image = await deps.query.get(viewerOf(principalOf(request)), request.params.imageId, readAt(request.query.consistentWith));
      if (!image) throw notFound();
      if (image.status !== 'analyzed') throw new HttpProblem(409, 'not_analyzed', 'Conflict', `the image is ${image.status}, not analyzed yet`);
      const blob = await deps.blobs.get(image.sha256);
      if (!blob) throw new HttpProblem(404, 'content_missing', 'Not found', 'the image bytes are gone');
      const faces = (await deps.query.faces(image.imageId, false, readAt(request.query.consistentWith))).map((f) => ({ ...f, descriptor: [] }));
      const png = await annotate(blob.data, { width: image.width, height: image.height, faces });
      await recordAccess(deps.access, request, principalOf(request), [{ subjectId: image.ownerId, imageIds: [image.imageId] }], ['annotated']);
      return reply.type('image/png').header('cache-control', 'private, no-cache').send(png);
    },
  );

  app.post(
    '/v1/images/:imageId/reanalyze',
    {
      preHandler: deps.authenticate,
      schema: { tags: ['images'], summary: 'Analyse again with the current model (owner or admin)', security, params: IdParams, response: responses({ 202: Accepted }, 401, { 404: ['image_not_found'] }) },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const position = await deps.images.requestAnalysis(request.params.imageId, deps.currentModel(), 'user_request', ctxOf(request.id, principal));
      return reply.status(202).send({ imageId: request.params.imageId, status: 'pending' as const, position: positionToCursor(position) });
    },
  );

  app.delete(
    '/v1/images/:imageId',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['images'],
        summary: 'Delete an image (owner or admin): its faces, filename and bytes are erased (their keys shredded); the erasure receipt when done within the wait',
        security,
        params: IdParams,
        response: responses(
          {
            202: Type.Object({
              imageId: Uuid,
              position: Type.Union([PositionCursor, Type.Null()]),
              erasureId: Type.Optional(Uuid),
              erasureStatus: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('pending')])),
              receipt: Type.Optional(Type.String({ description: 'The erasure receipt (compact JWS, typ erasure-receipt+jwt; verify against GET /.well-known/jwks.json)' })),
            }),
          },
          401,
          { 404: ['image_not_found'], 409: ['subject_erased'] },
        ),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const ctx = ctxOf(request.id, principal);
      const position = await deps.images.delete(request.params.imageId, 'user_request', ctx);
      const body = { imageId: request.params.imageId, position: position ? positionToCursor(position) : null };
      if (!deps.erasures) return reply.status(202).send(body);
      const { erasureId } = await deps.erasures.service.request({ scope: 'image', imageId: request.params.imageId }, 'user_request', ctx);
      const receipt = await deps.erasures.service.awaitReceipt(erasureId, deps.erasures.waitMs);
      return reply.status(202).send({ ...body, erasureId, erasureStatus: receipt ? ('completed' as const) : ('pending' as const), ...(receipt ? { receipt: receipt.receipt } : {}) });
    },
  );

  app.get(
    '/v1/stats',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['images'],
        summary: 'Per-day uploads, analyses, failures, faces and deletions (own; all for admins and auditors)',
        security,
        querystring: Type.Object({ from: Type.Optional(DayInput({ description: 'First day (default: 29 days before to)' })), to: Type.Optional(DayInput({ description: 'Last day (default: today, UTC)' })), ...Consistent }),
        response: responses(
          {
            200: Type.Object({
              days: Type.Array(DayStats),
            }),
          },
          400,
          401,
          503,
        ),
      },
    },
    async (request) => {
      await deps.ensureConsistent(request.query.consistentWith, ['images']);
      // Days out of range, from after to, more than 366 days: 400 invalid_date / invalid_range.
      const { from, to } = dayRange(request.query);
      return { days: await deps.query.stats(viewerOf(principalOf(request)), from, to) };
    },
  );
}
