// SQL on notary.leaves, notary.state and notary.checkpoints (migration 0013); the tiles are
// tiles.ts. Nothing else names the notary's tables.

import type { SqlClient } from '../eventstore/types.js';
import type { Hash } from './merkle.js';
import type { Checkpoint } from './checkpoint.js';

/** The builder's state: the tree size, its frontier (largest subtree first) and the last leaf's position. */
export interface NotaryState {
  treeSize: number;
  frontier: Hash[];
  /** Cursor of the last leaf's event; undefined for the empty tree. */
  position: string | undefined;
}

export interface LeafRow {
  treeIndex: number;
  eventId: string;
  position: string;
  leafHash: Hash;
}

/** The state, locked for the rest of the transaction (the consumer and the idle signer serialise on it). */
export async function lockState(tx: SqlClient): Promise<NotaryState> {
  const { rows } = await tx.query<{ tree_size: string; frontier: Buffer[]; position: string | null }>('select tree_size::text, frontier, position from notary.state where id for update');
  const row = rows[0];
  return row ? { treeSize: Number(row.tree_size), frontier: row.frontier, position: row.position ?? undefined } : { treeSize: 0, frontier: [], position: undefined };
}

export async function writeState(tx: SqlClient, state: NotaryState): Promise<void> {
  await tx.query(
    `insert into notary.state (id, tree_size, frontier, position) values (true, $1, $2::bytea[], $3)
     on conflict (id) do update set tree_size = excluded.tree_size, frontier = excluded.frontier, position = excluded.position`,
    [String(state.treeSize), state.frontier, state.position ?? null],
  );
}

/** Inserts the leaves in one statement (they follow each other from leaves[0].treeIndex). */
export async function insertLeaves(tx: SqlClient, leaves: readonly LeafRow[]): Promise<void> {
  if (leaves.length === 0) return;
  await tx.query(
    // The hashes as one bytea (cut on the server): an array of bytea goes as hex text, escaped per element.
    `insert into notary.leaves (tree_index, event_id, position, leaf_hash)
     select $1::bigint + i - 1, id, pos, substring($4::bytea from (i::int - 1) * 32 + 1 for 32)
       from unnest($2::uuid[], $3::text[]) with ordinality as l(id, pos, i)`,
    [String(leaves[0]!.treeIndex), leaves.map((l) => l.eventId), leaves.map((l) => l.position), Buffer.concat(leaves.map((l) => l.leafHash))],
  );
}

export async function leafOfEvent(db: SqlClient, eventId: string): Promise<LeafRow | undefined> {
  const { rows } = await db.query<{ tree_index: string; event_id: string; position: string; leaf_hash: Buffer }>(
    'select tree_index::text, event_id::text, position, leaf_hash from notary.leaves where event_id = $1',
    [eventId],
  );
  const row = rows[0];
  return row ? { treeIndex: Number(row.tree_index), eventId: row.event_id, position: row.position, leafHash: row.leaf_hash } : undefined;
}

/** The position of leaf `treeIndex` (the exclusive lower bound of a read of the next leaf's event). */
export async function positionOfLeaf(db: SqlClient, treeIndex: number): Promise<string | undefined> {
  const { rows } = await db.query<{ position: string }>('select position from notary.leaves where tree_index = $1', [String(treeIndex)]);
  return rows[0]?.position;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  position: string;
  signed_at: Date;
  kid: string;
  jws: string;
}

// Qualified: an unqualified `order by tree_size` would sort the text column of the select list.
const CHECKPOINT_COLUMNS = 'c.tree_size::text as tree_size, c.root_hash, c.position, c.signed_at, c.kid, c.jws';

function checkpointOf(row: CheckpointRow): Checkpoint {
  return { treeSize: Number(row.tree_size), rootHash: row.root_hash.toString('base64url'), position: row.position, signedAt: row.signed_at.toISOString(), kid: row.kid, jws: row.jws };
}

export async function insertCheckpoints(tx: SqlClient, checkpoints: readonly Checkpoint[]): Promise<void> {
  if (checkpoints.length === 0) return;
  await tx.query(
    `insert into notary.checkpoints (tree_size, root_hash, position, signed_at, kid, jws)
     select * from unnest($1::bigint[], $2::bytea[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
     on conflict (tree_size) do nothing`,
    [
      checkpoints.map((c) => String(c.treeSize)),
      checkpoints.map((c) => Buffer.from(c.rootHash, 'base64url')),
      checkpoints.map((c) => c.position),
      checkpoints.map((c) => c.signedAt),
      checkpoints.map((c) => c.kid),
      checkpoints.map((c) => c.jws),
    ],
  );
}

export async function latestCheckpoint(db: SqlClient): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(`select ${CHECKPOINT_COLUMNS} from notary.checkpoints c order by c.tree_size desc limit 1`);
  return rows[0] ? checkpointOf(rows[0]) : undefined;
}

export async function checkpointAt(db: SqlClient, treeSize: number): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(`select ${CHECKPOINT_COLUMNS} from notary.checkpoints c where c.tree_size = $1`, [String(treeSize)]);
  return rows[0] ? checkpointOf(rows[0]) : undefined;
}

/** Newest first: the checkpoints below `before` (a tree size; all when undefined), at most `limit`. */
export async function listCheckpoints(db: SqlClient, limit: number, before: number | undefined): Promise<Checkpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `select ${CHECKPOINT_COLUMNS} from notary.checkpoints c where $1::bigint is null or c.tree_size < $1::bigint order by c.tree_size desc limit $2`,
    [before === undefined ? null : String(before), limit],
  );
  return rows.map(checkpointOf);
}
