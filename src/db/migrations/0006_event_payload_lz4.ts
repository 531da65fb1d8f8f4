import type { Migration } from './migration.js';

// es.events payloads compressed with lz4 instead of pglz (new rows; existing ones stay as they
// are and remain readable). Analysis events carry ~11 kB of faces: pglz compression was a large
// share of an append's server CPU, and pglz decompression of the rows a rebuild copies faces
// from (src/projections/images.ts) was most of the rest. A server built without lz4 keeps pglz.
export const eventPayloadLz4: Migration = {
  id: '0006_event_payload_lz4',
  sql: /* sql */ `
do $$
begin
  alter table es.events alter column data set compression lz4, alter column metadata set compression lz4;
exception when feature_not_supported then null;
end $$;
`,
};
