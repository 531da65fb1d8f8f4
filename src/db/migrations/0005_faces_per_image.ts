import type { Migration } from './migration.js';

// rm.faces: one row per analysed image holding the analysis's faces as one jsonb array, as the
// ImageAnalyzed event carries them ([{box, score, landmarks, descriptor}], descriptors as float64),
// instead of one row per face with real[] descriptors. Building a row per face (jsonb landmarks,
// text → real[] descriptors) cost ~200 µs of PostgreSQL CPU per face and dominated rebuilds;
// the read side now slices the array (src/queries/images-query.ts). TOAST with lz4 where the
// server has it: pglz compression of the ~11 kB values was the other half of the write cost.
//
// Existing rows are carried over from the event that produced them when the log is in this
// database (the latest ImageAnalyzed at or before the image's projected revision: exactly what a
// rebuild stores), else converted from the old columns (descriptors then keep their float32
// digits until a `projections:rebuild images`).
export const facesPerImage: Migration = {
  id: '0005_faces_per_image',
  sql: /* sql */ `
create table rm.faces_per_image (
  image_id uuid primary key references rm.images (image_id) on delete cascade,
  faces    jsonb not null
);
do $$
begin
  alter table rm.faces_per_image alter column faces set compression lz4;
exception when feature_not_supported then null; -- server built without lz4: default (pglz)
end $$;

insert into rm.faces_per_image (image_id, faces)
select g.image_id,
       coalesce(
         (select e.data -> 'faces'
            from es.events e
           where e.stream = 'image-' || g.image_id::text and e.type = 'ImageAnalyzed' and e.revision <= i.revision
             and jsonb_array_length(e.data -> 'faces') = g.n
           order by e.revision desc
           limit 1),
         g.converted)
  from (select image_id, count(*) as n,
               jsonb_agg(jsonb_build_object('box', jsonb_build_object('x', x, 'y', y, 'width', width, 'height', height),
                                            'score', score, 'landmarks', landmarks, 'descriptor', to_jsonb(descriptor))
                         order by face_index) as converted
          from rm.faces group by image_id) g
  join rm.images i using (image_id);

drop table rm.faces;
alter table rm.faces_per_image rename to faces;
alter table rm.faces rename constraint faces_per_image_pkey to faces_pkey;
alter table rm.faces rename constraint faces_per_image_image_id_fkey to faces_image_id_fkey;
`,
};
