// The notary: a consumer of the whole log (every stream, every type) that folds it, in the
// store's global order, into the Merkle tree of src/notary (leaves, tiles, builder state and the
// checkpoints that fall due, in the runner's transaction with its checkpoint). It must be run over
// the store as stored — sealed fields as ciphertext, no field left out — not the opening store the
// other consumers read (the runtime's `storedEventStore`): the tree then covers ciphertext, and
// shredding a key never changes a leaf.

import { foldBatch, type NotaryDeps } from '../../notary/fold-batch.js';
import type { Projection } from '../projection.js';

/** Its checkpoint (rm.checkpoints) and advisory lock name. */
export const NOTARY_CONSUMER = 'notary';

/** Every event: the tree covers the whole log. */
export const NOTARY_FILTER = {};

/**
 * Events per batch (one transaction): what the subscription has buffered, up to this many — while
 * catching up, the page in hand and the pages read ahead (subscription.ts); 5 000 rather than 2 000
 * lets a batch take all of them (1 M events: ~30 -> ~34 k events/s, npm run bench -- notary).
 */
export const NOTARY_BATCH_SIZE = 5_000;

export function notaryProjection(deps: NotaryDeps): Projection {
  return {
    name: NOTARY_CONSUMER,
    filter: NOTARY_FILTER,
    async apply(tx, events) {
      await foldBatch(tx, events, deps);
    },
  };
}
