// The access-records projection: BiometricDataAccessed → one row per (record, subject) of each
// record the event holds; AccessRecordsExpired → the day's rows deleted. Records whose parties read
// as erased (the day's key shredded: a replay after retention) add nothing, so a rebuild equals the
// live table.

import type pg from 'pg';
import type { AccessEvent } from '../../domain/access/access-events.js';
import { ACCESS_STREAM_PREFIX, accessRecordsOf, dayOfAccessStream } from '../../domain/access/access-events.js';
import { upcast } from '../../domain/upcast.js';
import { positionToCursor } from '../../eventstore/position.js';
import { jsonRows } from '../batch-sql.js';
import type { Projection } from '../projection.js';
import { accessRecordsTables } from './tables.js';

interface AccessRow {
  record_id: string;
  event_id: string;
  subject_id: string;
  accessor_id: string;
  accessor_role: string;
  image_ids: string[];
  fields: string[];
  route: string;
  purpose?: string;
  request_id: string;
  at: string;
  day: string;
  position: string;
}

export const accessRecordsProjection: Projection = {
  name: 'access-records',
  // access-YYYY-MM-DD (records) and access-expiry-YYYY-MM-DD (expiries).
  filter: { streamPrefixes: [ACCESS_STREAM_PREFIX] },
  tables: accessRecordsTables,
  async apply(tx: pg.ClientBase, events) {
    let rows: AccessRow[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      await tx.query(
        `insert into access_records (record_id, event_id, subject_id, accessor_id, accessor_role, image_ids, fields, route, purpose, request_id, at, day, position)
         select record_id, event_id, subject_id, accessor_id, accessor_role, image_ids, fields, route, purpose, request_id, at, day, position
           from jsonb_to_recordset($1::jsonb) as r(record_id uuid, event_id uuid, subject_id uuid, accessor_id uuid, accessor_role text, image_ids uuid[], fields text[],
                                                  route text, purpose text, request_id text, at timestamptz, day date, position text)
         on conflict do nothing`,
        [jsonRows(rows)],
      );
      rows = [];
    };
    for (const recorded of events) {
      const event = upcast(recorded) as AccessEvent;
      if (event.type === 'AccessRecordsExpired') {
        // Rows of the day written earlier in this batch first, then the delete.
        await flush();
        await tx.query('delete from access_records where day = $1::date', [event.data.day]);
        continue;
      }
      if (event.type !== 'BiometricDataAccessed') continue;
      const day = dayOfAccessStream(recorded.stream);
      if (day === undefined) continue;
      const at = recorded.recordedAt.toISOString();
      const position = positionToCursor(recorded.position);
      for (const { facts, parties } of accessRecordsOf(event.data)) {
        if (parties === null) continue;
        for (const s of parties.subjects) {
          rows.push({
            record_id: facts.recordId,
            event_id: recorded.id,
            subject_id: s.subjectId,
            accessor_id: parties.accessor.id,
            accessor_role: parties.accessor.role,
            image_ids: s.imageIds,
            fields: facts.fields,
            route: facts.route,
            ...(parties.purpose === null ? {} : { purpose: parties.purpose }),
            request_id: facts.requestId,
            at,
            day,
            position,
          });
        }
      }
    }
    await flush();
  },
};
