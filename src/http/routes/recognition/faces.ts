// Face search and 1:1 verification (issue 17): POST /v1/faces/search and POST /v1/faces/verify, over
// the caller's own gallery. Both need the caller's face_recognition consent (read from their user
// stream now: 409 consent_required), and both are identifications: each is in the access log before
// its answer leaves — the caller's own gallery included — naming the query's image and every
// matched image. `consistentWith` waits for the face index.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mirrorTwins } from '../../../inference/mirror-twins.js';
import type { AnalysisResult } from '../../../inference/types.js';
import { HttpProblem } from '../../problem.js';
import type { AccessLog } from '../../../commands/access/access-log.js';
import type { AccessedSubject } from '../../../domain/access/access-events.js';
import { MAX_MATCHES, type FaceSearch } from '../../../queries/recognition/face-search.js';
import { FaceSearchResult, FaceVerifyResult } from '../../../queries/recognition/shapes.js';
import { recordAccess } from '../../access-log-hook.js';
import { principalOf, type Guard } from '../../auth-guard.js';
import type { EnsureConsistent } from '../../consistency.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

export interface FaceRouteDeps {
  search: FaceSearch;
  /** Refuses (409 consent_required) unless the user's face_recognition consent is in force. */
  requireRecognitionConsent: (userId: string) => Promise<void>;
  access: AccessLog;
  authenticate: Guard;
  ensureConsistent: EnsureConsistent;
  /** RECOGNITION_MATCH_THRESHOLD */
  defaultThreshold: number;
  /** The photo of a multipart search, read within the upload limits (400/413/415 as for uploads). */
  readPhoto: (request: FastifyRequest) => Promise<Buffer>;
  /** The face ids of one of the user's people (undefined: no such person of theirs). */
  personFaces: (userId: string, personId: string) => Promise<string[] | undefined>;
  /** Checks and analyses it, and its mirror image, with the gallery's pipeline (415/422 for what is not a usable image). */
  analyzePhoto: (bytes: Buffer) => Promise<{ analysis: AnalysisResult; mirrored: AnalysisResult }>;
}

const security = [{ bearer: [] }];
const Threshold = Type.Number({ minimum: 0, maximum: 2, description: 'Largest distance that counts as a match (default RECOGNITION_MATCH_THRESHOLD)' });
const Consistent = Type.Optional({ ...PositionCursor, description: 'Wait until the face index has applied this position' });

/** The photo form of a search (documentation only: the handler reads it itself, as uploads do). */
const SearchForm = Type.Object(
  { file: Type.String({ format: 'binary', description: 'A photo (JPEG, PNG or WebP) within the upload limits: its largest face (faces=all: each face) is searched' }) },
  { required: ['file'] },
);
/** Consent, the face index, the access log: both routes. */
const RECOGNITION_PROBLEMS = {
  400: ['invalid_cursor', 'invalid_access_purpose'],
  404: ['face_not_found', 'person_not_found'],
  409: ['consent_required', 'models_differ'],
  503: ['projection_lagging', 'access_log_unavailable'],
} as const;

/** The images an identification read: the query's and every match's, all in the caller's gallery. */
function identified(ownerId: string, imageIds: readonly string[]): AccessedSubject[] {
  return [{ subjectId: ownerId, imageIds: [...new Set(imageIds)] }];
}

export function faceRoutes(parent: FastifyInstance, deps: FaceRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/faces/search',
    {
      preHandler: deps.authenticate,
      // A rejected photo may leave part of its body unread (as for uploads).
      onError: (_request, reply, _error, done) => {
        reply.header('connection', 'close');
        done();
      },
      schema: {
        tags: ['recognition'],
        summary:
          'The faces of your gallery nearest to one of your faces (JSON {faceId}: itself left out) or to the largest face of a photo (multipart/form-data, field "file"; faces=all: every face), within the threshold; unknown: true when none is. Needs face_recognition consent',
        security,
        querystring: Type.Object({
          faces: Type.Optional(Type.Union([Type.Literal('largest'), Type.Literal('all')], { description: 'multipart only: search with the largest face of the photo (default) or with each' })),
          k: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MATCHES, description: 'multipart only: most matches (default 10)' })),
          threshold: Type.Optional({ ...Threshold, description: 'multipart only: largest distance that counts as a match' }),
        }),
        body: {
          content: {
            'application/json': {
              schema: Type.Object(
                {
                  faceId: Uuid,
                  k: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MATCHES, default: 10, description: 'Most matches' })),
                  threshold: Type.Optional(Threshold),
                  consistentWith: Consistent,
                },
                { additionalProperties: false, examples: [{ faceId: '3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a', k: 5 }] },
              ),
            },
          },
        },
        multipartBody: SearchForm,
        response: responses(
          { 200: FaceSearchResult },
          401,
          RECOGNITION_PROBLEMS,
          // The photo of a multipart search, read and checked as an upload is (upload.ts).
          { 400: ['file_missing', 'empty_file', 'wrong_field', 'too_many_files', 'too_many_parts', 'malformed_multipart'], 413: ['file_too_large'], 415: ['unsupported_format'], 422: ['no_face', 'image_too_large', 'corrupt_image'], 503: ['uploads_busy'] },
        ),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (request.isMultipart()) {
        const { faces = 'largest', k = 10, threshold = deps.defaultThreshold } = request.query;
        const photo = await deps.readPhoto(request);
        await deps.requireRecognitionConsent(principal.userId);
        const { analysis, mirrored } = await deps.analyzePhoto(photo);
        const twins = mirrorTwins(analysis.faces, mirrored.faces, analysis.width);
        const ranked = analysis.faces.map((face, i) => ({ face, twin: twins[i] })).sort((a, b) => b.face.box.width * b.face.box.height - a.face.box.width * a.face.box.height);
        if (ranked.length === 0) throw new HttpProblem(422, 'no_face', 'Unprocessable image', 'no face was found in the photo');
        const searched = faces === 'all' ? ranked : ranked.slice(0, 1);
        const results = [];
        for (const { face, twin } of searched) {
          const descriptors = [face, ...(twin ? [twin] : [])].map((f) => Float32Array.from(f.descriptor));
          results.push({ face: { box: face.box, score: face.score }, ...(await deps.search.byDescriptors(principal.userId, analysis.model.sha256, descriptors, { k, threshold })) });
        }
        const matchedImages = results.flatMap((r) => r.matches.map((m) => m.imageId));
        await recordAccess(deps.access, request, principal, identified(principal.userId, matchedImages), ['descriptors'], undefined, { identification: true });
        const [first] = results;
        const { modelSha256, face, ...top } = first!;
        return {
          ...top,
          model: { sha256: modelSha256 },
          face,
          ...(faces === 'all' ? { faces: results.map(({ modelSha256: _m, gallerySize: _g, threshold: _t, ...r }) => r) } : {}),
        };
      }
      const body = request.body as { faceId: string; k?: number; threshold?: number; consistentWith?: string };
      const { faceId, k = 10, threshold = deps.defaultThreshold, consistentWith } = body;
      await deps.requireRecognitionConsent(principal.userId);
      await deps.ensureConsistent(consistentWith, ['face-index']);
      const result = await deps.search.byFace(principal.userId, faceId, { k, threshold });
      await recordAccess(deps.access, request, principal, identified(principal.userId, [result.query.imageId, ...result.matches.map((m) => m.imageId)]), ['descriptors'], undefined, { identification: true });
      const { modelSha256, ...rest } = result;
      return { ...rest, model: { sha256: modelSha256 } };
    },
  );

  app.post(
    '/v1/faces/verify',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['recognition'],
        summary:
          'Whether two of your faces are the same person ({faceIds: [a, b]}), or a face is one of your people ({faceId, personId}: its nearest face of that person): the descriptor distance against the threshold. Needs face_recognition consent',
        security,
        body: Type.Union([
          Type.Object(
            { faceIds: Type.Tuple([Uuid, Uuid], { description: 'The two faces' }), threshold: Type.Optional(Threshold), consistentWith: Consistent },
            { additionalProperties: false, examples: [{ faceIds: ['3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a', '4843e8e6-6d25-5151-bb71-dbc621931e57'] }] },
          ),
          Type.Object(
            { faceId: Uuid, personId: Uuid, threshold: Type.Optional(Threshold), consistentWith: Consistent },
            { additionalProperties: false, examples: [{ faceId: '3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a', personId: '9b2f0c1e-2d44-4a7e-8f31-5c6a7b8d9e01' }] },
          ),
        ], { examples: [{ faceIds: ['3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a', '4843e8e6-6d25-5151-bb71-dbc621931e57'] }, { faceId: '3f06ecb9-b1e2-5de9-bd83-2cbab75a7b4a', personId: '0b7e4c1e-8f3a-4d2b-9c55-2a6f1d9e7b10' }] }),
        response: responses({ 200: FaceVerifyResult }, 400, 401, RECOGNITION_PROBLEMS),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = request.body;
      const threshold = body.threshold ?? deps.defaultThreshold;
      await deps.requireRecognitionConsent(principal.userId);
      await deps.ensureConsistent(body.consistentWith, ['face-index', 'people']);
      let result;
      if ('faceIds' in body) {
        result = await deps.search.verify(principal.userId, body.faceIds, threshold);
      } else {
        const person = await deps.personFaces(principal.userId, body.personId);
        if (!person) throw new HttpProblem(404, 'person_not_found', 'Not found', 'no such person');
        result = await deps.search.verifyPerson(principal.userId, body.faceId, person, threshold);
      }
      await recordAccess(deps.access, request, principal, identified(principal.userId, result.faces.map((f) => f.imageId)), ['descriptors'], undefined, { identification: true });
      const { modelSha256, ...rest } = result;
      return { ...rest, model: { sha256: modelSha256 } };
    },
  );
}
