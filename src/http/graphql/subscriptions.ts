// Subscription resolvers. Each one checks the caller (authenticated at connection_init) and
// subscribes to its topic BEFORE reading anything, so no change can slip between the read and the
// subscription; messages are then delivered in revision order per image (older or repeated
// revisions are dropped) and only if the caller may see the image.

import type { Readable } from 'node:stream';
import type { IResolvers } from 'mercurius';
import type { ImagesQuery, ImageView } from '../../queries/images-query.js';
import type { EnsureConsistent } from '../consistency.js';
import { seesEveryone, type GraphqlContext } from './context.js';
import type { ImageNotice, liveTopics } from './live.js';
import { imageNotFound } from './resolvers.js';

export interface SubscriptionDeps {
  images: ImagesQuery;
  ensureConsistent: EnsureConsistent;
  topics: ReturnType<typeof liveTopics>;
}

interface SubscriptionContext extends GraphqlContext {
  pubsub: { subscribe(topic: string): Promise<Readable> };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Delivers `first` (if any), then each notice newer than the last delivered one of its image. */
async function* deliver(queue: Readable, first: { image: ImageView; revision: number } | undefined, visible: (n: ImageNotice) => boolean, endOnDelete: boolean) {
  const latest = new Map<string, number>();
  if (first) {
    latest.set(first.image.imageId, first.revision);
    yield first.image;
  }
  for await (const notice of queue as AsyncIterable<ImageNotice>) {
    const id = notice.image.imageId;
    if ((latest.get(id) ?? -1) >= notice.revision || !visible(notice)) continue;
    latest.set(id, notice.revision);
    if (notice.deleted) {
      if (endOnDelete) return;
      continue;
    }
    yield notice.image;
  }
}

export function createSubscriptionResolvers(deps: SubscriptionDeps): IResolvers {
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
          const visible = (n: ImageNotice) => seesEveryone(principal) || n.image.ownerId === principal.userId;
          if (!current || current.deleted || !visible(current)) {
            queue.destroy();
            throw imageNotFound();
          }
          return deliver(queue, current, visible, true);
        },
        resolve: (image: ImageView) => image,
      },
      myImages: {
        async subscribe(_root: unknown, _args: unknown, ctx: SubscriptionContext) {
          const principal = await ctx.viewer();
          const queue = await ctx.pubsub.subscribe(deps.topics.owner(principal.userId));
          return deliver(queue, undefined, (n) => n.image.ownerId === principal.userId, false);
        },
        resolve: (image: ImageView) => image,
      },
    },
  };
}
