// The tree's complete subtrees stored densely (migration 0013, notary.tiles): row (level, tile)
// holds the 32-byte hashes of nodes (level, tile * 256) … (level, tile * 256 + 255), concatenated.
// A batch of appended leaves completes a contiguous run of nodes per level, so it writes one row
// per tile it touches (the level's last tile grows by concatenation) instead of one row per node:
// about n / 128 rows for n leaves instead of 2n.

import type { SqlClient } from '../eventstore/types.js';
import type { Hash, NodeId, StoredNode } from './merkle.js';

export const TILE_WIDTH = 256;
const HASH_BYTES = 32;

/** One row write: `hashes` go at node index `first` of `level` (tile = first / 256, offset = first % 256). */
interface TileWrite {
  level: number;
  tile: number;
  /** Offset of the first new hash inside the tile (0 for a new tile). */
  offset: number;
  hashes: Buffer[];
}

/** Groups the nodes a batch completed (each level's run contiguous and ascending) into tile writes. */
export function tileWrites(nodes: readonly StoredNode[]): TileWrite[] {
  const byKey = new Map<string, TileWrite>();
  const out: TileWrite[] = [];
  for (const node of nodes) {
    const tile = Math.floor(node.index / TILE_WIDTH);
    const offset = node.index - tile * TILE_WIDTH;
    const key = `${node.level}/${tile}`;
    let write = byKey.get(key);
    if (!write) {
      write = { level: node.level, tile, offset, hashes: [] };
      byKey.set(key, write);
      out.push(write);
    }
    if (write.offset + write.hashes.length !== offset) throw new Error(`notary: node ${node.level}/${node.index} is not next in its tile`);
    write.hashes.push(node.hash);
  }
  return out;
}

/**
 * Writes the nodes in one statement: new tiles are inserted, a level's partial last tile gets the
 * new hashes appended — only if it holds exactly the hashes before them (else the statement
 * writes fewer rows than asked and this throws, rolling the batch back).
 */
export async function writeTiles(tx: SqlClient, nodes: readonly StoredNode[]): Promise<void> {
  const writes = tileWrites(nodes);
  if (writes.length === 0) return;
  const { rowCount } = await tx.query(
    `insert into notary.tiles as t (level, tile, hashes)
     select level, tile, hashes from unnest($1::smallint[], $2::bigint[], $3::bytea[], $4::int[]) as w(level, tile, hashes, off)
     on conflict (level, tile) do update set hashes = t.hashes || excluded.hashes
      where octet_length(t.hashes) = (select w2.off * ${HASH_BYTES} from unnest($1::smallint[], $2::bigint[], $4::int[]) as w2(level, tile, off) where w2.level = t.level and w2.tile = t.tile)`,
    [writes.map((w) => w.level), writes.map((w) => String(w.tile)), writes.map((w) => Buffer.concat(w.hashes)), writes.map((w) => w.offset)],
  );
  if (rowCount !== writes.length) throw new Error(`notary: ${writes.length - (rowCount ?? 0)} tile(s) did not hold the hashes expected before this batch`);
}

/** The hashes of these stored nodes, in the order asked (one query; a node not stored throws). */
export async function readNodes(db: SqlClient, ids: readonly NodeId[]): Promise<Hash[]> {
  if (ids.length === 0) return [];
  const keys = new Map<string, { level: number; tile: number }>();
  for (const id of ids) {
    const tile = Math.floor(id.index / TILE_WIDTH);
    keys.set(`${id.level}/${tile}`, { level: id.level, tile });
  }
  const wanted = [...keys.values()];
  const { rows } = await db.query<{ level: number; tile: string; hashes: Buffer }>(
    'select t.level, t.tile::text as tile, t.hashes from notary.tiles t join unnest($1::smallint[], $2::bigint[]) as k(level, tile) on t.level = k.level and t.tile = k.tile',
    [wanted.map((k) => k.level), wanted.map((k) => String(k.tile))],
  );
  const tiles = new Map(rows.map((r) => [`${r.level}/${r.tile}`, r.hashes]));
  return ids.map((id) => {
    const tile = Math.floor(id.index / TILE_WIDTH);
    const hashes = tiles.get(`${id.level}/${tile}`);
    const start = (id.index - tile * TILE_WIDTH) * HASH_BYTES;
    if (!hashes || hashes.length < start + HASH_BYTES) throw new MissingNodeError(id);
    return Buffer.from(hashes.subarray(start, start + HASH_BYTES));
  });
}

export class MissingNodeError extends Error {
  constructor(readonly node: NodeId) {
    super(`notary: node ${node.level}/${node.index} is not stored`);
    this.name = 'MissingNodeError';
  }
}
