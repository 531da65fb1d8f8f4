// auditEvents: the audit feed (same pages and cursors as GET /v1/audit/events), staff only.

import type { IResolvers } from 'mercurius';
import { cursorToPosition } from '../../../eventstore/position.js';
import { parseInstant } from '../../../queries/dates.js';
import { orNone } from '../arguments.js';
import { requireStaff, type GraphqlContext } from '../context.js';
import { pageSize } from '../limits.js';
import type { GraphqlPartDeps } from '../part.js';
import { noteAccess } from '../access-reads.js';
import { AUDIT_FACE_FIELDS } from '../../access-log-hook.js';
import { subjectsOfEvents } from '../../../queries/access/biometric-content.js';

interface AuditArgs {
  after?: string | null;
  first?: number | null;
  types?: string[] | null;
  streamPrefix?: string | null;
  actor?: string | null;
  from?: string | null;
  to?: string | null;
}

/** The REST route's parser: RFC 3339 within the store's range, or invalid_date. */
const instant = (value: string | null | undefined, name: string): Date | undefined => (value === null || value === undefined ? undefined : parseInstant(value, name));

export function auditResolvers(deps: Pick<GraphqlPartDeps, 'audit' | 'limits' | 'imageOwners'>): IResolvers {
  return {
    Query: {
      async auditEvents(_root: unknown, args: AuditArgs, ctx: GraphqlContext) {
        requireStaff(await ctx.viewer());
        const page = await deps.audit.page({
          after: args.after ? cursorToPosition(args.after) : undefined,
          limit: pageSize(args.first, deps.limits.maxFirst),
          types: args.types && args.types.length > 0 ? args.types : undefined,
          streamPrefix: orNone(args.streamPrefix),
          actorId: orNone(args.actor),
          from: instant(args.from, 'from'),
          to: instant(args.to, 'to'),
        });
        noteAccess(ctx, await subjectsOfEvents(deps.imageOwners, page.events), AUDIT_FACE_FIELDS, 'Query.auditEvents');
        return page;
      },
    },
  };
}
