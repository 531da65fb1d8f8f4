// Inclusion and consistency proofs against signed checkpoints, from the stored nodes (tiles.ts):
// each proof reads its O(log n) nodes in one query, never the log. The event's canonical stored
// form comes from the log as stored (the raw store: sealed fields as ciphertext), read through
// the port at the position the tree recorded for it.

import { cursorToPosition } from '../eventstore/position.js';
import type { EventStore, SqlClient } from '../eventstore/types.js';
import { canonicalEvent } from './canonical.js';
import type { Checkpoint } from './checkpoint.js';
import { consistencyProof, inclusionProof, type Hash, type NodeId } from './merkle.js';
import { checkpointAt, latestCheckpoint, leafOfEvent, listCheckpoints, positionOfLeaf } from './notary-tables.js';
import { readNodes } from './tiles.js';

export class ProofRefusedError extends Error {
  constructor(
    readonly code: 'event_not_notarised' | 'event_after_checkpoint' | 'log_diverged',
    message: string,
  ) {
    super(message);
    this.name = 'ProofRefusedError';
  }
}

export const isProofRefusal = (err: unknown): err is ProofRefusedError => err instanceof ProofRefusedError;

export class NotaryProofs {
  constructor(
    private readonly db: SqlClient,
    /** The log as stored (never the opening store). */
    private readonly storedEventStore: EventStore,
  ) {}

  private readonly read = (ids: NodeId[]): Promise<Hash[]> => readNodes(this.db, ids);

  latest(): Promise<Checkpoint | undefined> {
    return latestCheckpoint(this.db);
  }

  checkpoint(treeSize: number): Promise<Checkpoint | undefined> {
    return checkpointAt(this.db, treeSize);
  }

  list(limit: number, before: number | undefined): Promise<Checkpoint[]> {
    return listCheckpoints(this.db, limit, before);
  }

  async inclusion(eventId: string, checkpoint: Checkpoint): Promise<{ leafIndex: number; leafHash: Buffer; auditPath: Buffer[]; canonical: Buffer; position: string }> {
    const leaf = await leafOfEvent(this.db, eventId);
    if (!leaf) throw new ProofRefusedError('event_not_notarised', `event ${eventId} is not in the tree (not in the log, or not folded yet)`);
    if (leaf.treeIndex >= checkpoint.treeSize) {
      throw new ProofRefusedError('event_after_checkpoint', `event ${eventId} is leaf ${leaf.treeIndex}, after the checkpoint of tree size ${checkpoint.treeSize}: ask for a later checkpoint`);
    }
    // The event after the previous leaf's position is this leaf's event, unless the log changed.
    const previous = leaf.treeIndex === 0 ? undefined : await positionOfLeaf(this.db, leaf.treeIndex - 1);
    let canonical: Buffer | undefined;
    for await (const event of this.storedEventStore.readAll({ ...(previous ? { from: cursorToPosition(previous) } : {}), maxCount: 1 })) {
      if (event.id === leaf.eventId) canonical = canonicalEvent(event);
    }
    if (!canonical) throw new ProofRefusedError('log_diverged', `the log no longer holds event ${eventId} after leaf ${leaf.treeIndex - 1}'s event, where the tree has it: run audit:verify`);
    const auditPath = await inclusionProof(leaf.treeIndex, checkpoint.treeSize, this.read);
    return { leafIndex: leaf.treeIndex, leafHash: leaf.leafHash, auditPath, canonical, position: leaf.position };
  }

  consistency(from: Checkpoint, to: Checkpoint): Promise<Buffer[]> {
    return consistencyProof(from.treeSize, to.treeSize, this.read);
  }
}
