// The log as stored (the raw store: sealed fields as ciphertext), in global order, with each
// event's leaf from notary.leaves (tree index and recorded hash; none for an event not notarised
// yet). audit:verify online reads it; GET /v1/audit/export.ndjson?form=stored writes it as lines
// (src/notary/export-lines.ts describes the form).

import type pg from 'pg';
import { positionToCursor, type Position } from '../eventstore/position.js';
import type { EventStore, RecordedEvent } from '../eventstore/types.js';
import type { LogEntry } from './verify-log.js';

const JOIN_CHUNK = 2_000;

export interface StoredEntry extends LogEntry {
  event: RecordedEvent;
}

/** `store` must be the raw store (never the opening wrapper): the tree covers the stored form. */
export async function* storedLog(store: EventStore, pool: pg.Pool, after?: Position): AsyncGenerator<StoredEntry> {
  let chunk: RecordedEvent[] = [];
  async function* flush(): AsyncGenerator<StoredEntry> {
    const { rows } = await pool.query<{ event_id: string; tree_index: string; leaf_hash: Buffer }>(
      'select event_id::text, tree_index::text, leaf_hash from notary.leaves where event_id = any($1::uuid[])',
      [chunk.map((e) => e.id)],
    );
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const e of chunk) {
      const leaf = byId.get(e.id);
      yield { position: positionToCursor(e.position), treeIndex: leaf ? Number(leaf.tree_index) : undefined, recordedLeaf: leaf?.leaf_hash, event: e };
    }
    chunk = [];
  }
  for await (const e of store.readAll(after ? { from: after } : {})) {
    chunk.push(e);
    if (chunk.length >= JOIN_CHUNK) yield* flush();
  }
  if (chunk.length > 0) yield* flush();
}

/** One export line (without the newline) of a stored entry. */
export function storedExportLine(s: StoredEntry): string {
  const e = s.event;
  return JSON.stringify({
    treeIndex: s.treeIndex,
    leafHash: s.recordedLeaf?.toString('base64url'),
    position: s.position,
    id: e.id,
    stream: e.stream,
    revision: e.revision.toString(),
    type: e.type,
    recordedAt: e.recordedAt.toISOString(),
    data: e.data,
    metadata: e.metadata,
  });
}
