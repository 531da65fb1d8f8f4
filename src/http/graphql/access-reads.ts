// The biometric access log for GraphQL (issue 16): resolvers and loaders that hand out faces note
// whose (noteAccess); once the operation is resolved and BEFORE the response is sent, the notes
// become ONE access record (onResolution; for a subscription, onSubscriptionResolution, once per
// message). If the record cannot be written the answer is replaced by an error (503
// access_log_unavailable, data null; a subscription's socket is closed): no face leaves unrecorded.
// An answer that recorded an access is never memoised (response-memo.ts), so every repeat records
// again; one that read only the caller's own data may be.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessLog } from '../../commands/access/access-log.js';
import { AccessLogUnavailableError } from '../../commands/access/access-log.js';
import type { AccessedSubject, AccessField } from '../../domain/access/access-events.js';
import { accessPurposeOf } from '../access-log-hook.js';
import { HttpProblem } from '../problem.js';
import type { GraphqlContext } from './context.js';

const READS = Symbol('biometric reads');

interface Reads {
  subjects: AccessedSubject[];
  fields: Set<AccessField>;
  sources: Set<string>;
  identification?: boolean;
}

type WithReads = GraphqlContext & { [READS]?: Reads; reply?: { request: FastifyRequest; code(status: number): unknown } };

/** Notes that the answer being built holds these subjects' biometric data (`source`: the field, e.g. Image.faces). */
export function noteAccess(ctx: GraphqlContext, subjects: readonly AccessedSubject[], fields: readonly AccessField[], source: string, opts: { identification?: boolean } = {}): void {
  if (subjects.length === 0) return;
  const c = ctx as WithReads;
  const reads = (c[READS] ??= { subjects: [], fields: new Set(), sources: new Set() });
  // A face search is an identification: recorded also over the caller's own gallery.
  if (opts.identification) reads.identification = true;
  reads.subjects.push(...subjects);
  for (const f of fields) reads.fields.add(f);
  reads.sources.add(source);
}

function take(ctx: WithReads): Reads | undefined {
  const reads = ctx[READS];
  ctx[READS] = undefined;
  return reads;
}

async function record(log: AccessLog, ctx: WithReads, reads: Reads, kind: string): Promise<boolean> {
  const principal = await ctx.viewer();
  const request = ctx.reply?.request;
  const purpose = request ? accessPurposeOf(request) : null;
  const { recorded } = await log.record({
    accessor: { id: principal.userId, role: principal.role },
    subjects: reads.subjects,
    fields: [...reads.fields],
    route: `graphql ${kind} ${[...reads.sources].join(',')}`,
    purpose,
    requestId: request?.id ?? randomUUID(),
    ...(reads.identification ? { identification: true } : {}),
  });
  return recorded;
}

function refusal(err: unknown): { message: string; extensions: { code: string; status: number } } | undefined {
  if (err instanceof AccessLogUnavailableError) return { message: 'the access to biometric data could not be recorded, so it is not served; try again', extensions: { code: 'access_log_unavailable', status: 503 } };
  if (err instanceof HttpProblem) return { message: err.message, extensions: { code: err.code, status: err.status } };
  return undefined;
}

export function registerAccessHooks(app: FastifyInstance, log: AccessLog): void {
  app.graphql.addHook('onResolution', async (execution, context) => {
    const ctx = context as unknown as WithReads;
    const reads = take(ctx);
    if (!reads) return;
    try {
      if (await record(log, ctx, reads, 'query')) context.memo?.untracked();
    } catch (err) {
      const error = refusal(err);
      if (!error) throw err;
      context.memo?.untracked();
      // Nothing of the answer is sent: data dropped, the refusal as its only error.
      (execution as { data?: unknown }).data = null;
      (execution as { errors?: unknown }).errors = [error];
      ctx.reply?.code(error.extensions.status);
    }
  });
  app.graphql.addHook('onSubscriptionResolution', async (_execution, context) => {
    const ctx = context as unknown as WithReads;
    const reads = take(ctx);
    // A refusal throws: mercurius closes the socket before this message is sent.
    if (reads) await record(log, ctx, reads, 'subscription');
  });
}
