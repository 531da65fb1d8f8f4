// rm.checkpoints: where each consumer of the log has got to.

import type pg from 'pg';
import { comparePositions, type Position } from '../eventstore/position.js';

export const CHECKPOINT_CHANNEL = 'rm_checkpoints';

export async function readCheckpoint(db: pg.ClientBase | pg.Pool, consumer: string): Promise<Position | undefined> {
  const { rows } = await db.query<{ c: string; p: string }>('select commit_pos::text as c, prepare_pos::text as p from rm.checkpoints where consumer = $1', [consumer]);
  const row = rows[0];
  return row ? { commit: BigInt(row.c), prepare: BigInt(row.p) } : undefined;
}

/** Stores the checkpoint (never moving it backwards) and notifies waiters at commit. */
export async function writeCheckpoint(tx: pg.ClientBase, consumer: string, position: Position, applied: number): Promise<void> {
  await tx.query(
    `insert into rm.checkpoints (consumer, commit_pos, prepare_pos, events_applied, updated_at)
     values ($1, $2, $3, $4, now())
     on conflict (consumer) do update
        set commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos,
            events_applied = rm.checkpoints.events_applied + excluded.events_applied, updated_at = now()
      where (rm.checkpoints.commit_pos, rm.checkpoints.prepare_pos) < (excluded.commit_pos, excluded.prepare_pos)`,
    [consumer, position.commit.toString(), position.prepare.toString(), applied],
  );
  await tx.query('select pg_notify($1, $2)', [CHECKPOINT_CHANNEL, consumer]);
}

export function isAtOrAfter(checkpoint: Position | undefined, target: Position): boolean {
  return checkpoint !== undefined && comparePositions(checkpoint, target) >= 0;
}
