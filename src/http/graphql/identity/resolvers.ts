// Users: yourself; anyone for admins and auditors. A user the caller may not see is null with the
// REST code (user_not_found), never a different error.

import type { IResolvers } from 'mercurius';
import { maySeeUser } from '../../../domain/identity/policies.js';
import type { UserView } from '../../../queries/identity/users-query.js';
import { consistentReads, orNone, UUID, type Consistent } from '../arguments.js';
import { connection, type PageArgs } from '../connection.js';
import { requireStaff, type GraphqlContext } from '../context.js';
import { gqlError } from '../errors.js';
import { pageSize } from '../limits.js';
import type { GraphqlPartDeps } from '../part.js';

const userNotFound = () => gqlError('user_not_found', 'no such user', 404);

export function identityResolvers(deps: Pick<GraphqlPartDeps, 'users' | 'ensureConsistent' | 'limits'>): IResolvers {
  const consistent = consistentReads(deps.ensureConsistent);
  return {
    Query: {
      async me(_root: unknown, args: Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        await consistent(args, 'users', ctx);
        const user = await deps.users.byId(principal.userId);
        if (!user) throw gqlError('not_found', 'the user is not in the read model yet; pass consistentWith from the registration', 404);
        return user;
      },
      async users(_root: unknown, args: PageArgs & Consistent, ctx: GraphqlContext) {
        requireStaff(await ctx.viewer());
        await consistent(args, 'users', ctx);
        return connection(await deps.users.list({ cursor: orNone(args.after), limit: pageSize(args.first, deps.limits.maxFirst) }));
      },
      async user(_root: unknown, args: { id: string } & Consistent, ctx: GraphqlContext) {
        const principal = await ctx.viewer();
        if (!UUID.test(args.id)) throw userNotFound();
        const id = args.id.toLowerCase();
        if (!maySeeUser(principal, id)) throw userNotFound();
        await consistent(args, 'users', ctx);
        const user = await deps.users.byId(id);
        if (!user) throw userNotFound();
        return user;
      },
    },
    User: {
      id: (u: UserView) => u.userId,
    },
  };
}
