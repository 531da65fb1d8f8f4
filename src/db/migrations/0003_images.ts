import type { Migration } from './migration.js';

// Image bytes (content-addressed) and the read models of the images slice.
export const imagesSchema: Migration = {
  id: '0003_images',
  sql: /* sql */ `
create schema if not exists blobs;

-- Written before ImageUploaded is appended, so no event points at a missing blob. The same bytes
-- uploaded twice are stored once; last_written_at protects a blob being re-uploaded right now from
-- the orphan collector (grace period).
create table blobs.blobs (
  sha256          text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  content_type    text not null,
  size            integer not null check (size > 0),
  data            bytea not null,
  created_at      timestamptz not null default now(),
  last_written_at timestamptz not null default now()
);

create table rm.images (
  image_id         uuid primary key,
  owner_id         uuid not null,
  filename         text not null,
  content_type     text not null,
  bytes            integer not null,
  width            integer not null,
  height           integer not null,
  sha256           text not null,
  status           text not null check (status in ('pending', 'analyzed', 'failed')),
  face_count       integer,
  model_name       text,
  model_version    text,
  model_sha256     text,
  analysis_ms      integer,
  last_error_code  text,
  last_error_message text,
  uploaded_at      timestamptz not null,
  analyzed_at      timestamptz,
  updated_at       timestamptz not null,
  deleted_at       timestamptz,
  revision         bigint not null,
  last_position    text not null
);
create index images_owner_newest on rm.images (owner_id, uploaded_at desc, image_id desc) where deleted_at is null;
create index images_newest on rm.images (uploaded_at desc, image_id desc) where deleted_at is null;
create index images_by_sha on rm.images (sha256) where deleted_at is null;
create index images_pending on rm.images (updated_at) where deleted_at is null and status = 'pending';

-- The faces of an image's latest analysis (replaced by each ImageAnalyzed).
create table rm.faces (
  image_id   uuid not null references rm.images (image_id) on delete cascade,
  face_index integer not null,
  x          double precision not null,
  y          double precision not null,
  width      double precision not null,
  height     double precision not null,
  score      double precision not null,
  landmarks  jsonb not null,
  descriptor real[] not null,
  primary key (image_id, face_index)
);

create table rm.daily_stats (
  day        date not null,
  owner_id   uuid not null,
  uploads    integer not null default 0,
  analyses   integer not null default 0,
  failures   integer not null default 0,
  faces      integer not null default 0,
  deletions  integer not null default 0,
  primary key (day, owner_id)
);
`,
};
