// The caller's consents (issue 15 item 3): POST /v1/me/consents {purpose, policyVersion} gives
// consent under the published policy, DELETE /v1/me/consents/{purpose} withdraws it, GET
// /v1/me/consents lists them — all from the user stream, so a change shows in the next answer.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ConsentRecord } from '../../../commands/identity/consents.js';
import type { IdentityService } from '../../../commands/identity/identity-service.js';
import { CONSENT_PURPOSES, isConsentPurpose, type ConsentPurpose } from '../../../domain/identity/consent.js';
import { positionToCursor } from '../../../eventstore/position.js';
import type { PublishedPolicy } from '../../../privacy/policy/index.js';
import { principalOf, type Guard, type Principal } from '../../auth-guard.js';
import { HttpProblem } from '../../problem.js';
import { PositionCursor, responses } from '../../schemas.js';

export interface ConsentRouteDeps {
  identity: IdentityService;
  policy: PublishedPolicy;
  authenticate: Guard;
}

const PURPOSE_HELP = `one of: ${CONSENT_PURPOSES.join(', ')}`;
const PurposeInput = Type.String({ minLength: 1, maxLength: 64, description: PURPOSE_HELP });

const ConsentFields = {
  purpose: Type.String({ description: PURPOSE_HELP }),
  given: Type.Boolean(),
  policyVersion: Type.Union([Type.String(), Type.Null()], { description: 'The policy version of the consent in force (or of the last one given)' }),
  textSha256: Type.Union([Type.String(), Type.Null()], { description: 'sha256 of the policy text consented to' }),
  current: Type.Boolean({ description: 'Given, under the policy version published now' }),
  withdrawals: Type.Integer({ description: 'How many times this consent has been withdrawn' }),
};
const ConsentResult = Type.Object({ ...ConsentFields, position: Type.Union([PositionCursor, Type.Null()], { description: 'Position of the event recorded; null when nothing changed' }) });
const ConsentList = Type.Object({ policyVersion: Type.String({ description: 'The policy version published now' }), consents: Type.Array(Type.Object(ConsentFields)) });

function purposeOf(raw: string): ConsentPurpose {
  if (!isConsentPurpose(raw)) throw new HttpProblem(400, 'invalid_purpose', 'Bad request', `no such consent purpose: ${PURPOSE_HELP}`);
  return raw;
}

export function consentRoutes(parent: FastifyInstance, deps: ConsentRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const view = (r: Omit<ConsentRecord, 'position'>) => ({
    purpose: r.purpose,
    given: r.given,
    policyVersion: r.policyVersion ?? null,
    textSha256: r.textSha256 ?? null,
    current: r.given && r.policyVersion === deps.policy.version && r.textSha256 === deps.policy.textSha256,
    withdrawals: r.withdrawals,
  });
  const ctxOf = (requestId: string, p: Principal) => ({ correlationId: requestId, actor: { id: p.userId, kind: 'user' as const, role: p.role } });

  app.get(
    '/v1/me/consents',
    {
      preHandler: deps.authenticate,
      schema: { tags: ['privacy'], summary: "The caller's consents, from their user stream (a change shows at once)", security, response: responses({ 200: ConsentList }, 401) },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const { consents } = await deps.identity.consents(userId);
      reply.header('cache-control', 'no-store');
      return { policyVersion: deps.policy.version, consents: CONSENT_PURPOSES.map((purpose) => view({ purpose, ...consents[purpose], policyVersion: consents[purpose].policyVersion, textSha256: consents[purpose].textSha256 })) };
    },
  );

  app.post(
    '/v1/me/consents',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['privacy'],
        summary: 'Give consent for a purpose under the published policy (201; 200 when already given under it; 409 policy_version_mismatch for another version)',
        security,
        body: Type.Object({ purpose: PurposeInput, policyVersion: Type.String({ minLength: 1, maxLength: 64, description: 'The version of GET /v1/privacy/policy the user read' }) }, { additionalProperties: false, examples: [{ purpose: 'face_analysis', policyVersion: '2025-01' }] }),
        response: responses({ 200: ConsentResult, 201: ConsentResult }, 401, { 400: ['invalid_purpose'], 404: ['user_not_found'], 409: ['policy_version_mismatch', 'user_erased', 'user_deactivated'] }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const purpose = purposeOf(request.body.purpose);
      const record = await deps.identity.giveConsent(principal.userId, { purpose, policyVersion: request.body.policyVersion }, deps.policy, ctxOf(request.id, principal));
      const status = record.position ? 201 : 200;
      return reply.status(status).header('location', '/v1/me/consents').send({ ...view(record), position: record.position ? positionToCursor(record.position) : null });
    },
  );

  app.delete(
    '/v1/me/consents/:purpose',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['privacy'],
        summary: 'Withdraw consent for a purpose: collection stops and the biometric data collected under it is erased (200; position null when it was not given)',
        security,
        params: Type.Object({ purpose: PurposeInput }),
        response: responses({ 200: ConsentResult }, 401, { 400: ['invalid_purpose'], 404: ['user_not_found'], 409: ['erasure_pending', 'user_erased'] }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const purpose = purposeOf(request.params.purpose);
      const record = await deps.identity.withdrawConsent(principal.userId, purpose, ctxOf(request.id, principal));
      return { ...view(record), position: record.position ? positionToCursor(record.position) : null };
    },
  );
}
