// The tables of the images read model: rm.images declared once, column by column against the
// image view's fields (src/domain/images/image-view.ts); the projection writes rows from it, the
// queries select and decode rows with it. rm.faces and rm.daily_stats as DDL.

import { IMAGE_STATUSES, type ImageFields } from '../../domain/images/image-view.js';
import type { ReadModelTables } from '../projection.js';
import { bigint, integer, oneOf, positionCursor, table, text, timestamptz, uuid } from '../table-columns.js';

export const imagesTable = table<ImageFields>('images', 'imageId', {
  imageId: uuid('primary key'),
  ownerId: uuid('not null'),
  filename: text('not null'),
  contentType: text('not null'),
  bytes: integer('not null'),
  width: integer('not null'),
  height: integer('not null'),
  sha256: text('not null'),
  status: oneOf(IMAGE_STATUSES),
  faceCount: integer(),
  modelName: text(),
  modelVersion: text(),
  modelSha256: text(),
  analysisMs: integer(),
  lastErrorCode: text(),
  lastErrorMessage: text(),
  uploadedAt: timestamptz('not null'),
  analyzedAt: timestamptz(),
  updatedAt: timestamptz('not null'),
  deletedAt: timestamptz(),
  revision: bigint('not null'),
  lastPosition: positionCursor('not null'),
});

/**
 * rm.faces: one row per image whose latest analysis found faces, the analysis's array as one jsonb
 * value (`faces`) or a reference to the event holding it (`event_id`) when the log is in this
 * database (EventStore.localData).
 */
export const imagesTables: ReadModelTables = {
  tables: [imagesTable.spec, { name: 'faces', key: ['image_id'] }, { name: 'daily_stats', key: ['day', 'owner_id'] }],
  createTables: (s) => /* sql */ `
    create table ${s}.images (
${imagesTable.columnsDdl()}
    );
    create table ${s}.faces (
      image_id   uuid primary key references ${s}.images (image_id) on delete cascade,
      faces      jsonb,
      event_id   uuid,
      constraint faces_by_value_or_reference check ((faces is null) <> (event_id is null))
    );
    do $$
    begin
      alter table ${s}.faces alter column faces set compression lz4;
    exception when feature_not_supported then null;
    end $$;
    create table ${s}.daily_stats (
      day        date not null,
      owner_id   uuid not null,
      uploads    integer not null default 0,
      analyses   integer not null default 0,
      failures   integer not null default 0,
      faces      integer not null default 0,
      deletions  integer not null default 0,
      primary key (day, owner_id)
    );`,
  createIndexes: (s) => /* sql */ `
    create index images_owner_newest on ${s}.images (owner_id, uploaded_at desc, image_id desc) where deleted_at is null;
    create index images_newest on ${s}.images (uploaded_at desc, image_id desc) where deleted_at is null;
    create index images_by_sha on ${s}.images (sha256) where deleted_at is null;
    create index images_pending on ${s}.images (updated_at) where deleted_at is null and status = 'pending';`,
};
