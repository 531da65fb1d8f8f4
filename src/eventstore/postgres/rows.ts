import type { Position } from '../position.js';
import type { EventMetadata, RecordedEvent } from '../types.js';

export const EVENT_COLUMNS = `global_position::text as gp, transaction_id::text as tx, id::text as id, stream,
  revision::text as revision, type, data, metadata, recorded_at`;

export interface EventRow {
  gp: string;
  tx: string;
  id: string;
  stream: string;
  revision: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    stream: row.stream,
    revision: BigInt(row.revision),
    position: { commit: BigInt(row.tx), prepare: BigInt(row.gp) },
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

export function positionParams(p: Position): [string, string] {
  return [p.commit.toString(), p.prepare.toString()];
}
