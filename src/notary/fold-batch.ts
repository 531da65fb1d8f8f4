// Folds a batch of stored events (the log in the store's global order, sealed fields as
// ciphertext) into the tree: leaves, completed nodes (tiles), the builder's state, and the signed
// checkpoints that fall due — all written with the caller's transaction, the one that moves the
// consumer's checkpoint, so a crash never leaves half a batch folded.

import { comparePositions, cursorToPosition, positionToCursor } from '../eventstore/position.js';
import type { RecordedEvent, SqlClient } from '../eventstore/types.js';
import { eventLeafHash } from './canonical.js';
import type { Checkpoint, CheckpointSigner } from './checkpoint.js';
import { MerkleBuilder, type StoredNode } from './merkle.js';
import { insertCheckpoints, insertLeaves, latestCheckpoint, lockState, writeState, type LeafRow } from './notary-tables.js';
import { writeTiles } from './tiles.js';

/**
 * When a checkpoint is signed: at every tree size that is a multiple of `everyEvents` (so the sizes
 * are predictable), and `everyMs` after the last checkpoint when the tree grew since (at once for a
 * tree never signed).
 */
export interface CheckpointPolicy {
  everyEvents: number;
  everyMs: number;
}

export interface NotaryDeps {
  signer: CheckpointSigner;
  policy: CheckpointPolicy;
  now?: () => Date;
}

interface Due {
  treeSize: number;
  signedAtMs: number;
}

async function lastSigned(tx: SqlClient): Promise<Due> {
  const last = await latestCheckpoint(tx);
  return last ? { treeSize: last.treeSize, signedAtMs: Date.parse(last.signedAt) } : { treeSize: 0, signedAtMs: Number.NEGATIVE_INFINITY };
}

async function sign(deps: NotaryDeps, treeSize: number, root: Buffer, position: string): Promise<Checkpoint> {
  const signedAt = (deps.now?.() ?? new Date()).toISOString();
  const payload = { treeSize, rootHash: root.toString('base64url'), position, signedAt };
  return { ...payload, kid: deps.signer.kid, jws: await deps.signer.sign(payload) };
}

export interface FoldResult {
  treeSize: number;
  checkpoints: Checkpoint[];
}

export async function foldBatch(tx: SqlClient, events: readonly RecordedEvent[], deps: NotaryDeps): Promise<FoldResult> {
  const state = await lockState(tx);
  const first = events[0];
  if (!first) return { treeSize: state.treeSize, checkpoints: [] };
  // The consumer's checkpoint and the tree move together; an event at or before the tree's last
  // leaf means they disagree (e.g. rm.checkpoints reset by hand): refuse rather than fold it twice.
  if (state.position !== undefined && comparePositions(first.position, cursorToPosition(state.position)) <= 0) {
    throw new Error(`notary: event ${first.id} at ${positionToCursor(first.position)} is not after the tree's last leaf (${state.position}); the consumer checkpoint and notary.state disagree`);
  }
  const builder = new MerkleBuilder(state.treeSize, state.frontier);
  const due = await lastSigned(tx);
  const leaves: LeafRow[] = [];
  const nodes: StoredNode[] = [];
  const checkpoints: Checkpoint[] = [];
  for (const event of events) {
    const hash = eventLeafHash(event);
    const position = positionToCursor(event.position);
    leaves.push({ treeIndex: builder.size, eventId: event.id, position, leafHash: hash });
    for (const node of builder.addLeaf(hash)) nodes.push(node);
    if (builder.size % deps.policy.everyEvents === 0) {
      const cp = await sign(deps, builder.size, builder.root(), position);
      checkpoints.push(cp);
      due.treeSize = cp.treeSize;
      due.signedAtMs = Date.parse(cp.signedAt);
    }
  }
  const lastPosition = leaves.at(-1)!.position;
  const nowMs = (deps.now?.() ?? new Date()).getTime();
  if (builder.size > due.treeSize && nowMs - due.signedAtMs >= deps.policy.everyMs) {
    checkpoints.push(await sign(deps, builder.size, builder.root(), lastPosition));
  }
  // Nodes sorted by level then index: each level's run is contiguous (tiles.ts).
  nodes.sort((a, b) => a.level - b.level || a.index - b.index);
  await insertLeaves(tx, leaves);
  await writeTiles(tx, nodes);
  await writeState(tx, { treeSize: builder.size, frontier: [...builder.frontier], position: lastPosition });
  await insertCheckpoints(tx, checkpoints);
  return { treeSize: builder.size, checkpoints };
}

/**
 * The time rule while the log is quiet: signs the current tree when it grew since the last
 * checkpoint and that one is `everyMs` old. Serialised with foldBatch on the state row.
 */
export async function signIfDue(tx: SqlClient, deps: NotaryDeps): Promise<Checkpoint | undefined> {
  const state = await lockState(tx);
  const due = await lastSigned(tx);
  const nowMs = (deps.now?.() ?? new Date()).getTime();
  if (state.treeSize <= due.treeSize || nowMs - due.signedAtMs < deps.policy.everyMs || state.position === undefined) return undefined;
  const builder = new MerkleBuilder(state.treeSize, state.frontier);
  const cp = await sign(deps, state.treeSize, builder.root(), state.position);
  await insertCheckpoints(tx, [cp]);
  return cp;
}
