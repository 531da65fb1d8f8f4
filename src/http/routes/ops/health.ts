// GET /healthz: the process is alive. GET /readyz: every dependency answers, or 503 naming those
// that do not and why (`checks: { redis: 'unreachable at 127.0.0.1:6999' }`).

import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { problemBody, sendProblem } from '../../problem.js';
import { responses } from '../../schemas.js';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: ReadinessCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    check(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function healthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], summary: 'Liveness: the process answers (no dependency is asked)', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    () => ({ status: 'ok' as const }),
  );

  const Checks = Type.Record(Type.String(), Type.String({ description: '"ok", or what went wrong' }), { description: 'One entry per dependency (postgres, redis, eventStore)' });
  const readiness = {
    tags: ['ops'],
    summary: `Readiness: every dependency (PostgreSQL, Redis, the event store) answers within ${CHECK_TIMEOUT_MS} ms; else 503 not_ready with \`failing\` and \`checks\``,
    response: responses({ 200: Type.Object({ status: Type.Literal('ready'), checks: Checks }) }, { 503: ['not_ready'] }),
  };
  app.get('/readyz', { schema: readiness }, async (_request, reply) => {
    const names = Object.keys(checks);
    const outcomes = await Promise.allSettled(names.map((n) => withTimeout(checks[n]!)));
    const results: Record<string, string> = {};
    const failing: string[] = [];
    outcomes.forEach((o, i) => {
      const name = names[i]!;
      if (o.status === 'fulfilled') results[name] = 'ok';
      else {
        failing.push(name);
        results[name] = (o.reason as Error)?.message ?? String(o.reason);
      }
    });
    if (failing.length === 0) return { status: 'ready', checks: results };
    return sendProblem(
      reply,
      problemBody({ status: 503, code: 'not_ready', title: 'Service not ready', detail: `not answering: ${failing.map((n) => `${n} (${results[n]})`).join(', ')}`, failing, checks: results }),
    );
  });
}
