// The tables of the images read model: rm.images declared once, column by column against the
// image view's fields (src/domain/images/image-view.ts); the projection writes rows from it, the
// queries select and decode rows with it. rm.faces and rm.daily_stats as DDL.
//
// The filename is held by value or by reference (migration 0015): when the log is in this database
// (EventStore.localData) the row names the ImageUploaded event whose sealed filename it shows
// (`filename_event`), and the queries read and open it from there; elsewhere (EventStoreDB) the
// opened text is stored. Exactly one of the two is set.

import { IMAGE_STATUSES, type ImageFields } from '../../domain/images/image-view.js';
import type { ReadModelTables } from '../projection.js';
import { bigint, integer, oneOf, positionCursor, table, text, timestamptz, uuid } from '../table-columns.js';

/**
 * A row of rm.images: the image view's fields, the filename either as text (`filename`) or as the id
 * of the ImageUploaded event that holds it (`filenameEvent`, in the image's stream).
 */
export type ImageRowFields = Omit<ImageFields, 'filename'> & { filename: string | null; filenameEvent: string | null };

export const imagesTable = table<ImageRowFields>('images', 'imageId', {
  imageId: uuid('primary key'),
  ownerId: uuid('not null'),
  filename: text(),
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
  // last: migration 0015 added it at the end of the table
  filenameEvent: uuid(),
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
${imagesTable.columnsDdl()},
      constraint images_filename_by_value_or_reference check ((filename is null) <> (filename_event is null))
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
