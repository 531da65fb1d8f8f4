// auditEvents: the audit feed (same pages and cursors as GET /v1/audit/events), staff only.

import type { IResolvers } from 'mercurius';
import { cursorToPosition } from '../../../eventstore/position.js';
import { orNone } from '../arguments.js';
import { requireStaff, type GraphqlContext } from '../context.js';
import { gqlError } from '../errors.js';
import { pageSize } from '../limits.js';
import type { GraphqlPartDeps } from '../part.js';

interface AuditArgs {
  after?: string | null;
  first?: number | null;
  types?: string[] | null;
  streamPrefix?: string | null;
  actor?: string | null;
  from?: string | null;
  to?: string | null;
}

function instant(value: string | null | undefined, name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw gqlError('validation_failed', `${name} must be an ISO date-time`);
  return new Date(ms);
}

export function auditResolvers(deps: Pick<GraphqlPartDeps, 'audit' | 'limits'>): IResolvers {
  return {
    Query: {
      async auditEvents(_root: unknown, args: AuditArgs, ctx: GraphqlContext) {
        requireStaff(await ctx.viewer());
        return deps.audit.page({
          after: args.after ? cursorToPosition(args.after) : undefined,
          limit: pageSize(args.first, deps.limits.maxFirst),
          types: args.types && args.types.length > 0 ? args.types : undefined,
          streamPrefix: orNone(args.streamPrefix),
          actorId: orNone(args.actor),
          from: instant(args.from, 'from'),
          to: instant(args.to, 'to'),
        });
      },
    },
  };
}
