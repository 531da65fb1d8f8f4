// GET /v1/privacy/policy: the published privacy policy (public, no authentication). JSON by
// default: {version, text, textSha256, purposes, retention: {biometricDays}}; the raw text
// (text/markdown) with `?format=text` or `Accept: text/markdown`. textSha256 is the sha256 of the
// exact text served, and what a consent records (POST /v1/me/consents).

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { CONSENT_PURPOSES } from '../../../domain/identity/consent.js';
import type { PublishedPolicy } from '../../../privacy/policy/index.js';
import { responses } from '../../schemas.js';

export const PolicyBody = Type.Object({
  version: Type.String(),
  text: Type.String({ description: 'The policy text (markdown), exactly as served with format=text' }),
  textSha256: Type.String({ description: 'sha256 (hex) of the UTF-8 text' }),
  purposes: Type.Array(Type.String(), { description: 'What a user can consent to' }),
  retention: Type.Object({ biometricDays: Type.Integer({ description: 'Biometric data is destroyed this many days after the last interaction (BIOMETRIC_RETENTION_DAYS)' }) }),
});

const wantsText = (format: string | undefined, accept: string | undefined) =>
  format === 'text' || (format === undefined && accept !== undefined && /^\s*text\/(markdown|plain)\b/i.test(accept));

export function policyRoutes(parent: FastifyInstance, policy: PublishedPolicy): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const body = { version: policy.version, text: policy.text, textSha256: policy.textSha256, purposes: [...CONSENT_PURPOSES], retention: policy.retention };
  const etag = `"${policy.textSha256}"`;

  app.get(
    '/v1/privacy/policy',
    {
      schema: {
        tags: ['privacy'],
        summary: 'The published privacy policy and retention schedule (public). ?format=text or Accept: text/markdown: the raw text',
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])) }, { additionalProperties: false }),
        response: responses({ 200: PolicyBody }, 400),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'public, max-age=300').header('etag', etag).header('vary', 'accept');
      if (wantsText(request.query.format, request.headers.accept)) {
        return reply.type('text/markdown; charset=utf-8').header('x-policy-version', policy.version).serializer((s: string) => s).send(policy.text);
      }
      return body;
    },
  );
}
