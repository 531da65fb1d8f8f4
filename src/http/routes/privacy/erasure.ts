// Erasure (issue 15 item 4): POST /v1/me/erasure erases the caller's account, POST
// /v1/admin/users/{id}/erasure an admin's choice of account, GET /v1/me/erasure/{id} the caller's
// receipt (GET /v1/admin/erasures/{id}: any, for admins). A route records the request and waits
// (bounded) for the erasure executor to complete it: 202 with the signed receipt when done, else
// 202 with the erasure id and its Location.
// After the account is erased the caller's token no longer works, so the receipt the POST answers
// with is the user's proof: keep it (verify it against GET /.well-known/jwks.json).

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AccessChanges } from '../../../commands/identity/identity-service.js';
import type { ErasureReceipt, ErasureService } from '../../../commands/privacy/erasure-service.js';
import type { ErasureState } from '../../../domain/privacy/erasure.js';
import { positionToCursor } from '../../../eventstore/position.js';
import type { Position } from '../../../eventstore/types.js';
import { principalOf, type Guard, type Principal } from '../../auth-guard.js';
import { HttpProblem } from '../../problem.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

export interface ErasureRouteDeps {
  erasures: ErasureService;
  authenticate: Guard;
  requireRole: (...roles: ('admin' | 'auditor' | 'user')[]) => Guard;
  /** The caller's own session ends at once when their account is erased. */
  access: Pick<AccessChanges, 'sessionRevoked'>;
  /** How long a route waits for the executor before answering with the erasure id only. */
  waitMs: number;
}

export const ErasureAnswer = Type.Object({
  erasureId: Uuid,
  status: Type.Union([Type.Literal('completed'), Type.Literal('pending')]),
  position: Type.Union([PositionCursor, Type.Null()], { description: 'Position of the ErasureRequested event (null when it was requested before)' }),
  receipt: Type.Optional(Type.String({ description: 'The erasure receipt: a compact JWS (typ erasure-receipt+jwt) signed with the key of GET /.well-known/jwks.json. Keep it: it is your proof.' })),
  claims: Type.Optional(Type.Unknown({ description: "The receipt's `erasure` claim, decoded" })),
});

export function erasureAnswer(erasureId: string, position: Position | undefined, receipt: ErasureReceipt | undefined) {
  return {
    erasureId,
    status: receipt ? ('completed' as const) : ('pending' as const),
    position: position ? positionToCursor(position) : null,
    ...(receipt ? { receipt: receipt.receipt, claims: receipt.claims } : {}),
  };
}

export function erasureRoutes(parent: FastifyInstance, deps: ErasureRouteDeps): void {
  /** One erasure as its reader may see it: 200 with the receipt once completed, 202 while pending, 404 when unknown or not `visible`. */
  const answerErasure = async (reply: FastifyReply, erasureId: string, visible: (state: Exclude<ErasureState, { status: 'none' }>) => boolean) => {
    const state = await deps.erasures.state(erasureId);
    if (state.status === 'none' || !visible(state)) throw new HttpProblem(404, 'erasure_not_found', 'Not found', 'no such erasure');
    const receipt = await deps.erasures.receiptOf(state);
    reply.header('cache-control', 'no-store');
    return reply.status(receipt ? 200 : 202).send(erasureAnswer(erasureId, undefined, receipt));
  };

  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const ctxOf = (requestId: string, p: Principal) => ({ correlationId: requestId, actor: { id: p.userId, kind: 'user' as const, role: p.role } });

  app.post(
    '/v1/me/erasure',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['privacy'],
        summary: "Erase the caller's account: every image's faces, bytes and filename, the e-mail and display name (202; the receipt when done, else the erasure id and Location). The token stops working: keep the receipt",
        security,
        response: responses({ 202: ErasureAnswer }, 401, { 400: ['invalid_erasure_target'], 404: ['user_not_found'], 409: ['erasure_exists', 'subject_erased'] }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { erasureId, position } = await deps.erasures.request({ scope: 'account', subjectId: principal.userId }, 'user_request', ctxOf(request.id, principal));
      const receipt = await deps.erasures.awaitReceipt(erasureId, deps.waitMs);
      // Erased: this session's tokens stop at once, on every API process (the other sessions end with their SessionRevoked).
      if (receipt) await deps.access.sessionRevoked(principal.userId, principal.sessionId, undefined).catch(() => undefined);
      reply.header('cache-control', 'no-store');
      if (!receipt) reply.header('location', `/v1/me/erasure/${erasureId}`);
      return reply.status(202).send(erasureAnswer(erasureId, position, receipt));
    },
  );

  app.get(
    '/v1/me/erasure/:erasureId',
    {
      preHandler: deps.authenticate,
      schema: {
        tags: ['privacy'],
        summary: "One of the caller's erasures: 200 with the receipt once completed, 202 while pending (404 for anyone else's)",
        security,
        params: Type.Object({ erasureId: Uuid }),
        response: responses({ 200: ErasureAnswer, 202: ErasureAnswer }, 401, { 404: ['erasure_not_found'] }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return answerErasure(reply, request.params.erasureId, (state) => state.target.subjectId === principal.userId || state.requestedBy === principal.userId);
    },
  );

  app.get(
    '/v1/admin/erasures/:erasureId',
    {
      preHandler: deps.requireRole('admin'),
      schema: {
        tags: ['privacy'],
        summary: 'Any erasure (admin): 200 with the receipt once completed, 202 while pending',
        security,
        params: Type.Object({ erasureId: Uuid }),
        response: responses({ 200: ErasureAnswer, 202: ErasureAnswer }, 401, { 403: ['forbidden'], 404: ['erasure_not_found'] }),
      },
    },
    async (request, reply) => answerErasure(reply, request.params.erasureId, () => true),
  );

  app.post(
    '/v1/admin/users/:userId/erasure',
    {
      preHandler: deps.requireRole('admin'),
      schema: {
        tags: ['privacy'],
        summary: "Erase a user's account (admin): as POST /v1/me/erasure for that user",
        security,
        params: Type.Object({ userId: Uuid }),
        response: responses({ 202: ErasureAnswer }, 401, { 400: ['invalid_erasure_target'], 403: ['forbidden'], 404: ['user_not_found'], 409: ['erasure_exists', 'subject_erased'] }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { erasureId, position } = await deps.erasures.request({ scope: 'account', subjectId: request.params.userId }, 'admin_request', ctxOf(request.id, principal));
      const receipt = await deps.erasures.awaitReceipt(erasureId, deps.waitMs);
      reply.header('cache-control', 'no-store');
      if (!receipt) reply.header('location', `/v1/admin/erasures/${erasureId}`);
      return reply.status(202).send(erasureAnswer(erasureId, position, receipt));
    },
  );
}
