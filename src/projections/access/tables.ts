// rm.access_records: one row per (access record, data subject) — who read whose biometric data,
// when, which images and fields, by which route, why. The subjects' and the staff's views
// (/v1/me/access, /v1/audit/access) page it newest first by (at, record_id, subject_id).

import type { ReadModelTables } from '../projection.js';

export const accessRecordsTables: ReadModelTables = {
  // Only the projection deletes rows (on AccessRecordsExpired), so a rebuild equals the live table.
  tables: [{ name: 'access_records', key: ['record_id', 'subject_id'] }],
  createTables: (s) => /* sql */ `
    create table ${s}.access_records (
      record_id     uuid not null,
      event_id      uuid not null,
      subject_id    uuid not null,
      accessor_id   uuid not null,
      accessor_role text not null,
      image_ids     uuid[] not null,
      fields        text[] not null,
      route         text not null,
      purpose       text,
      request_id    text not null,
      at            timestamptz not null,
      day           date not null,
      position      text not null,
      primary key (record_id, subject_id)
    );`,
  createIndexes: (s) => /* sql */ `
    create index access_records_by_subject on ${s}.access_records (subject_id, at desc, record_id desc);
    create index access_records_by_accessor on ${s}.access_records (accessor_id, at desc, record_id desc);
    create index access_records_by_time on ${s}.access_records (at desc, record_id desc, subject_id desc);
    create index access_records_by_day on ${s}.access_records (day);`,
};
