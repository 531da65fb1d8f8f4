import type { Migration } from './migration.js';

// The biometric access log (issue 16, src/domain/access): the access_log key purpose (one key per
// day of records, shredded when the day's retention ends) and the read model rm.access_records
// (src/projections/access/tables.ts declares the same table).
export const accessRecords: Migration = {
  id: '0014_access_records',
  sql: /* sql */ `
alter table keys.data_keys drop constraint data_keys_purpose_check;
alter table keys.data_keys add constraint data_keys_purpose_check check (purpose in ('profile', 'content', 'face_analysis', 'face_recognition', 'access_log'));

create table rm.access_records (
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
);
create index access_records_by_subject on rm.access_records (subject_id, at desc, record_id desc);
create index access_records_by_accessor on rm.access_records (accessor_id, at desc, record_id desc);
create index access_records_by_time on rm.access_records (at desc, record_id desc, subject_id desc);
create index access_records_by_day on rm.access_records (day);
`,
};
