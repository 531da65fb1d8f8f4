import type { Migration } from './migration.js';

// rm.images refers to the ImageUploaded event holding an image's filename (`filename_event`)
// instead of holding the opened text, when that event is in this database's log (the PostgreSQL
// event store), as rm.faces does for faces (0007). The filename is sealed under the image's content
// key: a replay that copied it had to fetch and unwrap one key per image and open the field; by
// reference it opens nothing, and the queries open the filename of a page with one key lookup.
// It also keeps the plain filename out of the read model. Rows whose upload is elsewhere (another
// store) keep the text. Exactly one of the two is set.
//
// Existing rows become references when their image's ImageUploaded is in es.events (what a rebuild
// now stores), so `projections:verify` agrees right after the migration; others stay by value.
export const filenameByReference: Migration = {
  id: '0015_filename_by_reference',
  sql: /* sql */ `
alter table rm.images add column filename_event uuid;
alter table rm.images alter column filename drop not null;

update rm.images i
   set filename_event = e.id, filename = null
  from es.events e
 where e.stream = 'image-' || i.image_id::text and e.revision = 0 and e.type = 'ImageUploaded';

alter table rm.images add constraint images_filename_by_value_or_reference check ((filename is null) <> (filename_event is null));
`,
};
