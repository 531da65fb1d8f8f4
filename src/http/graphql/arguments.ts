// Arguments every part reads the same way: consistentWith (wait, then read the cache no older),
// optional arguments (GraphQL null → undefined) and ids.

import { comparePositions, cursorToPosition } from '../../eventstore/position.js';
import type { ReadOptions } from '../../queries/images/cached-images-query.js';
import type { EnsureConsistent } from '../consistency.js';
import type { GraphqlContext } from './context.js';

export interface Consistent {
  consistentWith?: string | null;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const orNone = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

/**
 * What the read cache must be at least as new as (the consistentWith already waited for), and
 * where the entries read are recorded for the response memo.
 */
export const readAt = (args: Consistent, ctx?: GraphqlContext): ReadOptions => ({ consistentWith: args.consistentWith ? cursorToPosition(args.consistentWith) : undefined, dependencies: ctx?.memo });

/** Waits until `projection` has applied the request's consistentWith, and remembers it for the loaders. */
export function consistentReads(ensureConsistent: EnsureConsistent) {
  return async (args: Consistent, projection: string, ctx: GraphqlContext): Promise<void> => {
    await ensureConsistent(orNone(args.consistentWith), [projection]);
    // Loaders (faces) read the cache too: no older than any position this request asked for.
    const at = readAt(args).consistentWith;
    if (at && (!ctx.readAtLeast || comparePositions(at, ctx.readAtLeast) > 0)) ctx.readAtLeast = at;
  };
}
