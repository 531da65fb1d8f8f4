// The face index read model (issue 17): every face of every image's latest analysis, by owner and
// model, with its descriptor sealed under the image's face_analysis key (src/privacy/sealed-copies.ts:
// shredding that key ends the copy). The search side keeps each owner's gallery in memory and
// follows it through the owner's counters: `added` numbers the rows as they arrive (`ord`), so a
// gallery loads only rows past the last one it holds; `removed` changes when any face leaves, and
// a gallery that sees it change loads the owner again. Both count events, not faces — `added` the
// owner's analyses, `removed` the re-analyses, deletions and erasures of their analysed images — so
// a rebuild gives the same numbers as the live projection whatever its batches, also after an
// erasure (a rebuild reads the erased faces as none; the events are still there to count).

import type { ReadModelTables } from '../projection.js';

export const faceIndexTables: ReadModelTables = {
  tables: [
    { name: 'face_index_owners', key: ['owner_id'] },
    { name: 'face_index_images', key: ['image_id'] },
    { name: 'face_index', key: ['face_id'] },
  ],
  createTables: (s) => /* sql */ `
    create table ${s}.face_index_owners (
      owner_id uuid primary key,
      added    bigint not null,
      removed  bigint not null
    );
    create table ${s}.face_index_images (
      image_id uuid primary key,
      owner_id uuid not null,
      analyzed boolean not null
    );
    create table ${s}.face_index (
      face_id      uuid primary key,
      owner_id     uuid not null,
      image_id     uuid not null,
      face_no      integer not null,
      model_sha256 text not null,
      ord          bigint not null,
      kid          uuid not null,
      descriptor   bytea not null
    );`,
  createIndexes: (s) => /* sql */ `
    create index face_index_by_owner on ${s}.face_index (owner_id, ord);
    create index face_index_by_image on ${s}.face_index (image_id);
    create index face_index_images_by_owner on ${s}.face_index_images (owner_id);`,
};

/** Values of a descriptor (128-D, face_recognition model). */
export const DESCRIPTOR_LENGTH = 128;

/** The additional data a face's sealed descriptor is bound to: copied to another face, it does not open. */
export const descriptorAad = (faceId: string): string => `facetrail/v1|face-index|${faceId}|descriptor`;

/** A descriptor as the row seals it: 128 float32, little-endian (the event holds float64; search compares float32). */
export function descriptorBytes(descriptor: readonly number[]): Buffer {
  if (descriptor.length !== DESCRIPTOR_LENGTH) throw new Error(`a descriptor has ${DESCRIPTOR_LENGTH} values, not ${descriptor.length}`);
  const out = Buffer.allocUnsafe(DESCRIPTOR_LENGTH * 4);
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) out.writeFloatLE(descriptor[i]!, i * 4);
  return out;
}

/** Writes an opened descriptor's values into `target` at `offset` (float32). */
export function readDescriptorInto(plain: Buffer, target: Float32Array, offset: number): void {
  if (plain.length !== DESCRIPTOR_LENGTH * 4) throw new Error(`a sealed descriptor opened to ${plain.length} bytes, not ${DESCRIPTOR_LENGTH * 4}`);
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) target[offset + i] = plain.readFloatLE(i * 4);
}
