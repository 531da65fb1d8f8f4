import type { Migration } from './migration.js';

// The face index (issue 17, src/projections/recognition/tables.ts declares the same tables): the
// descriptors face search compares, sealed per image, followed per owner.
export const faceIndex: Migration = {
  id: '0016_face_index',
  sql: /* sql */ `
create table rm.face_index_owners (
  owner_id uuid primary key,
  added    bigint not null,
  removed  bigint not null
);
create table rm.face_index_images (
  image_id uuid primary key,
  owner_id uuid not null,
  analyzed boolean not null
);
create table rm.face_index (
  face_id      uuid primary key,
  owner_id     uuid not null,
  image_id     uuid not null,
  face_no      integer not null,
  model_sha256 text not null,
  ord          bigint not null,
  kid          uuid not null,
  descriptor   bytea not null
);
create index face_index_by_owner on rm.face_index (owner_id, ord);
create index face_index_by_image on rm.face_index (image_id);
create index face_index_images_by_owner on rm.face_index_images (owner_id);
`,
};
