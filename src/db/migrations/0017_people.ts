import type { Migration } from './migration.js';

// People (issue 17; src/projections/people/tables.ts declares the same tables).
export const people: Migration = {
  id: '0017_people',
  sql: /* sql */ `
create table rm.people_owners (
  owner_id uuid primary key,
  epoch    integer not null
);
create table rm.people (
  person_id     uuid primary key,
  owner_id      uuid not null,
  name          text,
  status        text not null check (status in ('active', 'merged', 'deleted')),
  merged_into   uuid,
  epoch         integer not null,
  face_count    integer not null,
  revision      bigint not null,
  created_at    timestamptz not null,
  updated_at    timestamptz not null,
  last_position text not null
);
create table rm.person_faces (
  face_id   uuid primary key,
  person_id uuid not null,
  owner_id  uuid not null,
  image_id  uuid not null,
  by        text not null,
  distance  double precision,
  position  text not null
);
create table rm.face_rejections (
  face_id   uuid primary key,
  person_id uuid not null,
  owner_id  uuid not null
);
create index face_rejections_by_owner on rm.face_rejections (owner_id);
create index people_by_owner on rm.people (owner_id, created_at desc, person_id desc) where status = 'active';
create index person_faces_by_person on rm.person_faces (person_id);
create index person_faces_by_image on rm.person_faces (image_id);
create index person_faces_by_owner on rm.person_faces (owner_id);
`,
};
