import type { Migration } from './migration.js';

// The data keys of crypto-shredding (issue 15, src/privacy/key-store.ts). A key row is never
// deleted: shredding nulls its wrapped copy and records when and by which erasure, so the fact of
// erasure stays while the key material is gone. The subject and image rows are what a key's
// creation and its shredding lock against each other (a consent withdrawn while an upload creates a
// key; an image erased while a worker records its faces).
export const keyStore: Migration = {
  id: '0012_key_store',
  sql: /* sql */ `
create schema if not exists keys;

create table keys.subjects (
  subject_id  uuid primary key,
  erased_at   timestamptz,
  erased_by   uuid
);

-- each withdrawal of a consent purpose, once per erasure: a key created under an older consent is refused
create table keys.withdrawals (
  erasure_id uuid primary key,
  subject_id uuid not null references keys.subjects (subject_id),
  purpose    text not null,
  at         timestamptz not null default now()
);
create index withdrawals_by_subject on keys.withdrawals (subject_id, purpose);

create table keys.images (
  image_id   uuid primary key,
  subject_id uuid not null references keys.subjects (subject_id),
  erased_at  timestamptz,
  erased_by  uuid
);

create table keys.data_keys (
  kid         uuid primary key,
  subject_id  uuid not null references keys.subjects (subject_id),
  image_id    uuid references keys.images (image_id),
  purpose     text not null check (purpose in ('profile', 'content', 'face_analysis', 'face_recognition')),
  kek_id      text,
  -- iv (12) || ciphertext (32) || tag (16) under the KEK; null once shredded
  wrapped     bytea,
  created_at  timestamptz not null default clock_timestamp(),
  shredded_at timestamptz,
  shredded_by uuid,
  check ((wrapped is null) = (shredded_at is not null)),
  check ((wrapped is null) = (kek_id is null))
);
-- at most one live key per scope and purpose: the one new data is sealed under
create unique index data_keys_live_subject on keys.data_keys (subject_id, purpose) where wrapped is not null and image_id is null;
create unique index data_keys_live_image on keys.data_keys (image_id, purpose) where wrapped is not null and image_id is not null;
create index data_keys_by_subject on keys.data_keys (subject_id);
create index data_keys_by_image on keys.data_keys (image_id) where image_id is not null;
create index data_keys_by_erasure on keys.data_keys (shredded_by) where shredded_by is not null;

create table keys.secrets (
  name   text primary key,
  kek_id text not null,
  wrapped bytea not null
);
`,
};
