// Bull Board (the BullMQ queue UI) at /admin/queues, for admins only.
//
// A browser navigating to the UI cannot send a Bearer header, so an admin first opens a board
// session: POST /v1/admin/queue-board/session with the admin's Bearer token sets a short-lived
// cookie holding a signed token (TokenService purpose token `queue-board`: never valid as an
// access token), HttpOnly, SameSite=Strict (no cross-site request carries it, which also covers
// the board's state-changing API calls), Path=/admin/queues (sent nowhere else), Secure in
// production. Every board route (page, static files, JSON API) accepts either that cookie or an
// admin Bearer header, and checks the caller's *current* role and status and that the session
// which opened the board is still open (the auth guard's lookup): after a logout, a demotion or a
// deactivation the board is gone at once. None → 401, not admin → 403 (problem+json).
// The board's page is sent without its link to a font CDN (same-origin-page.ts): nothing it loads
// comes from elsewhere. The console's Queues screen opens the session, then the board in a new tab.

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Type } from '@sinclair/typebox';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../../../auth/tokens.js';
import { producerConnection } from '../../../db/bullmq-connections.js';
import type { AccessLookup, Guard } from '../../auth-guard.js';
import { httpOnlyCookie, readCookie } from '../../cookies.js';
import { errorHandler } from '../../error-handler.js';
import { HttpProblem } from '../../problem.js';
import { responses } from '../../schemas.js';
import { withoutForeignLinks } from './same-origin-page.js';

export const BOARD_PATH = '/admin/queues';
export const BOARD_COOKIE = 'ft_queue_board';
export const BOARD_PURPOSE = 'queue-board';
export const BOARD_SESSION_SECONDS = 600;

export interface QueueBoardDeps {
  tokens: TokenService;
  /** The admin's current role and status, and the sessions that ended (the auth guard's lookup). */
  accounts: AccessLookup;
  requireRole: (...roles: 'admin'[]) => Guard;
  redisUrl: string;
  /** BullMQ key prefix (bullPrefix(config)). */
  prefix: string;
  /** Production: the cookie is Secure. */
  secureCookie: boolean;
  /** Every BullMQ queue (src/workers/index.ts, injected by the composition root). */
  queues: readonly string[];
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return httpOnlyCookie(BOARD_COOKIE, value, { path: BOARD_PATH, maxAgeSeconds, secure });
}

const security = [{ bearer: [] }];

export async function queueBoardRoutes(app: FastifyInstance, deps: QueueBoardDeps): Promise<void> {
  app.post(
    '/v1/admin/queue-board/session',
    {
      preHandler: deps.requireRole('admin'),
      schema: {
        tags: ['admin'],
        summary: `Open a queue board session: sets the HttpOnly cookie the UI at ${BOARD_PATH}/ needs (${BOARD_SESSION_SECONDS} s)`,
        security,
        response: responses({ 200: Type.Object({ board: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }) }, 401, { 403: ['forbidden'] }),
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { token, expiresAt } = await deps.tokens.issuePurposeToken(BOARD_PURPOSE, { userId: principal.userId, sessionId: principal.sessionId }, BOARD_SESSION_SECONDS);
      void reply.header('set-cookie', cookie(token, BOARD_SESSION_SECONDS, deps.secureCookie)).header('cache-control', 'no-store');
      return { board: `${BOARD_PATH}/`, expiresAt: expiresAt.toISOString() };
    },
  );

  app.delete(
    '/v1/admin/queue-board/session',
    { schema: { tags: ['admin'], summary: 'Close the queue board session (clears its cookie)', response: { 204: Type.Null({ description: 'Closed; the cookie is cleared' }) } } },
    async (_request, reply) => reply.status(204).header('set-cookie', cookie('', 0, deps.secureCookie)).send(),
  );

  /** Admin Bearer header, or the board cookie of a user who is still an active admin. */
  const authorize = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    try {
      if (request.headers.authorization !== undefined) {
        await deps.requireRole('admin')(request, reply);
        return undefined;
      }
      const token = readCookie(request.headers.cookie, BOARD_COOKIE);
      if (!token) {
        throw new HttpProblem(401, 'missing_token', 'Unauthorized', `open a board session first: POST /v1/admin/queue-board/session with an admin Bearer token (or send the Bearer header)`);
      }
      const claims = await deps.tokens.verifyPurposeToken(BOARD_PURPOSE, token);
      const { account: user, revokedSessions } = await deps.accounts.access(claims.userId);
      if (!user || user.status === 'deactivated') throw new HttpProblem(401, 'account_deactivated', 'Unauthorized', 'this account is not active');
      if (revokedSessions.includes(claims.sessionId)) throw new HttpProblem(401, 'session_revoked', 'Unauthorized', 'the session that opened the board has ended (logout or revocation)');
      if (user.role !== 'admin') throw new HttpProblem(403, 'forbidden', 'Forbidden', 'the queue board needs the role admin');
      return undefined;
    } catch (err) {
      // The board's own error handler (inside its plugin) would turn this into a 500: answer here.
      return errorHandler(err as Error, request, reply);
    }
  };

  const connection = producerConnection(deps.redisUrl);
  const queues = deps.queues.map((name) => {
    const queue = new Queue(name, { connection, prefix: deps.prefix });
    queue.on('error', () => undefined); // Redis errors are logged by the runtime's client; the board shows them
    return queue;
  });
  app.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((q) => q.close()));
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  // @bull-board/api and @bull-board/fastify are pinned to the same version (package.json): the
  // adapter's types come from the api package, and two copies of it do not type-check together.
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'facetrail queues' } } });
  await app.register(async (board) => {
    board.addHook('onRequest', authorize);
    // The board's page asks a font CDN for its typeface: it gets none (nothing leaves the server).
    board.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      return typeof payload === 'string' && typeof type === 'string' && type.startsWith('text/html') ? withoutForeignLinks(payload) : payload;
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
}
