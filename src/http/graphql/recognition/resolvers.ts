// people, person, searchFaces, personUpdated and myPeople: the REST routes' services, the same checks (consent,
// ownership, limits) and codes.

import type { IResolvers } from 'mercurius';
import type { Readable } from 'node:stream';
import { MAX_PEOPLE_PAGE } from '../../../queries/people/people-query.js';
import { MAX_MATCHES } from '../../../queries/recognition/face-search.js';
import { noteAccess } from '../access-reads.js';
import { consistentReads, orNone, UUID, type Consistent } from '../arguments.js';
import type { GraphqlContext } from '../context.js';
import { gqlError } from '../errors.js';
import type { GraphqlPartDeps } from '../part.js';

const personNotFound = () => gqlError('person_not_found', 'no such person', 404);

function uuid(value: string, name: string): string {
  if (!UUID.test(value)) throw gqlError('invalid_id', `${name} must be a UUID`, 400);
  return value;
}

interface SubscriptionContext extends GraphqlContext {
  pubsub: { subscribe(topic: string): Promise<Readable> };
}

export function recognitionResolvers(deps: Pick<GraphqlPartDeps, 'recognition' | 'ensureConsistent' | 'topics'>): IResolvers {
  const consistent = consistentReads(deps.ensureConsistent);
  const r = deps.recognition;
  const owner = async (ctx: GraphqlContext) => {
    const p = await ctx.viewer();
    await r.requireConsent(p.userId);
    return p;
  };
  return {
    Query: {
      async people(_root: unknown, args: Consistent & { first?: number | null; after?: string | null }, ctx: GraphqlContext) {
        const p = await owner(ctx);
        const first = args.first ?? 50;
        if (!Number.isInteger(first) || first < 1 || first > MAX_PEOPLE_PAGE) throw gqlError('invalid_first', `first must be 1 to ${MAX_PEOPLE_PAGE}`, 400);
        await consistent(args, 'people', ctx);
        try {
          return await r.people.list(p.userId, { cursor: orNone(args.after), limit: first });
        } catch (err) {
          if (err instanceof Error && 'code' in err && err.code === 'invalid_cursor') throw gqlError('invalid_cursor', err.message, 400);
          throw err;
        }
      },
      async person(_root: unknown, args: Consistent & { id: string }, ctx: GraphqlContext) {
        const p = await owner(ctx);
        await consistent(args, 'people', ctx);
        const found = await r.people.get(p.userId, uuid(args.id, 'id'));
        if (!found) throw personNotFound();
        return found;
      },
      async searchFaces(_root: unknown, args: Consistent & { faceId: string; k?: number | null; threshold?: number | null }, ctx: GraphqlContext) {
        const p = await owner(ctx);
        const k = args.k ?? 10;
        if (!Number.isInteger(k) || k < 1 || k > MAX_MATCHES) throw gqlError('invalid_k', `k must be 1 to ${MAX_MATCHES}`, 400);
        const threshold = args.threshold ?? r.defaultThreshold;
        if (!(threshold >= 0 && threshold <= 2)) throw gqlError('invalid_threshold', 'threshold must be 0 to 2', 400);
        await consistent(args, 'face-index', ctx);
        const result = await r.search.byFace(p.userId, uuid(args.faceId, 'faceId'), { k, threshold });
        noteAccess(ctx, [{ subjectId: p.userId, imageIds: [...new Set([result.query.imageId, ...result.matches.map((m) => m.imageId)])] }], ['descriptors'], 'Query.searchFaces', { identification: true });
        return result;
      },
    },
    Person: {
      // From GET /v1/people/{id}: faces come with it; a listed person reads them on demand.
      async faces(person: { personId: string; faces?: unknown[] }, _args: unknown, ctx: GraphqlContext) {
        if (person.faces) return person.faces;
        const p = await ctx.viewer();
        return (await r.people.get(p.userId, person.personId))?.faces ?? [];
      },
    },
    Subscription: {
      personUpdated: {
        async subscribe(_root: unknown, args: { id: string }, ctx: SubscriptionContext) {
          const p = await owner(ctx);
          const id = uuid(args.id, 'id');
          // Subscribed before the check, so no change slips between the two.
          const queue = await ctx.pubsub.subscribe(deps.topics.person(id));
          if (!(await r.people.get(p.userId, id))) {
            queue.destroy();
            throw personNotFound();
          }
          return queue;
        },
        resolve: (notice: { person: unknown }) => notice.person,
      },
      myPeople: {
        async subscribe(_root: unknown, _args: unknown, ctx: SubscriptionContext) {
          const p = await owner(ctx);
          return ctx.pubsub.subscribe(deps.topics.people(p.userId));
        },
        resolve: (notice: { person: unknown }) => notice.person,
      },
    },
  };
}
