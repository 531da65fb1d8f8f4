// The people read model (issue 17): rm.people (one row per person of the current consent epoch),
// rm.person_faces (each face's person: the latest assignment in log order wins) and
// rm.people_owners (each owner's face_recognition epoch: a withdrawal ends the people of the
// epochs before it) and rm.face_rejections (faces a user took out of a person: the automatic
// reactor leaves them alone until a user assigns them again). A face whose image is deleted or erased, or whose faces are erased, leaves
// its person here (the person's stream keeps the fact that it was assigned).

import type { ReadModelTables } from '../projection.js';

export const PERSON_STATUSES = ['active', 'merged', 'deleted'] as const;

export const peopleTables: ReadModelTables = {
  tables: [
    { name: 'people_owners', key: ['owner_id'] },
    { name: 'people', key: ['person_id'] },
    { name: 'person_faces', key: ['face_id'] },
    { name: 'face_rejections', key: ['face_id'] },
  ],
  createTables: (s) => /* sql */ `
    create table ${s}.people_owners (
      owner_id uuid primary key,
      epoch    integer not null
    );
    create table ${s}.people (
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
    create table ${s}.person_faces (
      face_id   uuid primary key,
      person_id uuid not null,
      owner_id  uuid not null,
      image_id  uuid not null,
      by        text not null,
      distance  double precision,
      position  text not null
    );
    create table ${s}.face_rejections (
      face_id   uuid primary key,
      person_id uuid not null,
      owner_id  uuid not null
    );`,
  createIndexes: (s) => /* sql */ `
    create index people_by_owner on ${s}.people (owner_id, created_at desc, person_id desc) where status = 'active';
    create index person_faces_by_person on ${s}.person_faces (person_id);
    create index person_faces_by_image on ${s}.person_faces (image_id);
    create index person_faces_by_owner on ${s}.person_faces (owner_id);
    create index face_rejections_by_owner on ${s}.face_rejections (owner_id);`,
};
