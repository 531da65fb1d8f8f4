// Subscription resolvers. Each one checks the caller (authenticated at connection_init) and
// subscribes to its topic BEFORE reading anything, so no change can slip between the read and the
// subscription; messages are then delivered in revision order per image (older or repeated
// revisions are dropped) and only if the caller may see the image — with the caller's role and
// status as they are at each message (the cached account lookup the auth guard uses), so a
// demotion narrows what an open socket receives, and a deactivation or the end of the socket's
// session (logout, revocation) ends it.

import type { Readable } from 'node:stream';
import type { IResolvers } from 'mercurius';
import type { Role } from '../../../domain/identity/roles.js';
import { maySeeImage } from '../../../domain/images/visibility.js';
import type { ImageView } from '../../../queries/images/images-query.js';
import type { AccessLookup, Principal } from '../../auth-guard.js';
import { UUID } from '../arguments.js';
import type { GraphqlContext } from '../context.js';
import { gqlError } from '../errors.js';
import type { ImageNotice } from '../live.js';
import type { GraphqlPartDeps } from '../part.js';
import { imageNotFound } from './resolvers.js';


interface SubscriptionContext extends GraphqlContext {
  pubsub: { subscribe(topic: string): Promise<Readable> };
}

/**
 * The caller's current role; throws `account_deactivated` or `session_revoked` (ending the
 * subscription) if it no longer may read.
 */
type CurrentRole = () => Promise<Role>;

function currentRole(accounts: AccessLookup, principal: Principal): CurrentRole {
  return async () => {
    const { account, revokedSessions } = await accounts.access(principal.userId);
    if (account?.status === 'deactivated') throw gqlError('account_deactivated', 'this account is deactivated', 401);
    if (revokedSessions.includes(principal.sessionId)) throw gqlError('session_revoked', 'this session has ended (logout or revocation)', 401);
    return account?.role ?? principal.role;
  };
}

/** Delivers `first` (if any), then each notice newer than the last delivered one of its image. */
async function* deliver(
  queue: Readable,
  first: { image: ImageView; revision: number } | undefined,
  role: CurrentRole,
  visible: (n: ImageNotice, role: Role) => boolean,
  endOnDelete: boolean,
) {
  const latest = new Map<string, number>();
  if (first) {
    latest.set(first.image.imageId, first.revision);
    yield first.image;
  }
  // Not destroyed when the loop ends early (the image deleted): a destroyed queue emits an
  // AbortError that mercurius logs as an error; mercurius ends the queue itself when the
  // subscription completes (its context's close()).
  for await (const notice of queue.iterator({ destroyOnReturn: false }) as AsyncIterable<ImageNotice>) {
    const id = notice.image.imageId;
    if ((latest.get(id) ?? -1) >= notice.revision || !visible(notice, await role())) continue;
    latest.set(id, notice.revision);
    if (notice.deleted) {
      if (endOnDelete) return;
      continue;
    }
    yield notice.image;
  }
}

export function createSubscriptionResolvers(deps: Pick<GraphqlPartDeps, 'images' | 'accounts' | 'ensureConsistent' | 'topics'>): IResolvers {
  return {
    Subscription: {
      imageUpdated: {
        async subscribe(_root: unknown, args: { id: string; consistentWith?: string | null }, ctx: SubscriptionContext) {
          const principal = await ctx.viewer();
          if (!UUID.test(args.id)) throw imageNotFound();
          const id = args.id.toLowerCase();
          await deps.ensureConsistent(args.consistentWith ?? undefined, ['images']);
          const queue = await ctx.pubsub.subscribe(deps.topics.image(id));
          const [current] = await deps.images.snapshots([id]);
          // The notice's image, not whether it is deleted: the owner receives the deletion (it ends the subscription).
          const visible = (n: ImageNotice, role: Role) => maySeeImage({ userId: principal.userId, role }, n.image);
          if (!current || current.deleted || !visible(current, principal.role)) {
            queue.destroy();
            throw imageNotFound();
          }
          return deliver(queue, current, currentRole(deps.accounts, principal), visible, true);
        },
        resolve: (image: ImageView) => image,
      },
      myImages: {
        async subscribe(_root: unknown, _args: unknown, ctx: SubscriptionContext) {
          const principal = await ctx.viewer();
          const queue = await ctx.pubsub.subscribe(deps.topics.owner(principal.userId));
          return deliver(queue, undefined, currentRole(deps.accounts, principal), (n) => n.image.ownerId === principal.userId, false);
        },
        resolve: (image: ImageView) => image,
      },
    },
  };
}
