import type { Migration } from './migration.js';

// rm.faces refers to the ImageAnalyzed event holding an image's faces (`event_id`) instead of
// holding a copy, when that event is in this database's log (the PostgreSQL event store): the log
// is immutable, so the reference never goes stale, and the faces — most of the bytes of the whole
// system — are stored once. Rows whose event is elsewhere (another store) or was upcast keep the
// faces by value. Exactly one of the two is set.
//
// Existing rows become references when the latest ImageAnalyzed at or before the image's
// projected revision carries exactly the stored faces (what a rebuild now stores), so
// `projections:verify` agrees right after the migration; others stay by value.
export const facesByReference: Migration = {
  id: '0007_faces_by_reference',
  sql: /* sql */ `
alter table rm.faces add column event_id uuid;
alter table rm.faces alter column faces drop not null;

update rm.faces f
   set event_id = latest.id, faces = null
  from rm.images i
 cross join lateral (select e.id, e.data -> 'faces' as faces
                       from es.events e
                      where e.stream = 'image-' || i.image_id::text and e.type = 'ImageAnalyzed' and e.revision <= i.revision
                      order by e.revision desc
                      limit 1) latest
 where i.image_id = f.image_id and latest.faces = f.faces;

alter table rm.faces add constraint faces_by_value_or_reference check ((faces is null) <> (event_id is null));
`,
};
