// The face index projection (issue 17): each image's latest analysis's faces, one row per face with
// its descriptor sealed under the image's face_analysis key, and each owner's counters (see
// tables.ts). A re-analysis replaces the image's faces; a deletion or erasure of the image, an
// erasure of its faces and the erasure of the account remove them. An analysis whose faces read as
// erased (a rebuild after a shred) adds none, as does one whose key was shredded since it was read.

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import type { FaceRecord, ImageEvent } from '../../domain/images/image-events.js';
import { faceIdOf } from '../../domain/images/face-id.js';
import type { UserEvent } from '../../domain/identity/user-events.js';
import type { DataKeys, RecordedEvent } from '../../eventstore/types.js';
import { jsonRows } from '../batch-sql.js';
import type { Projection } from '../projection.js';
import { streamId } from '../stream-id.js';
import { descriptorAad, descriptorBytes, faceIndexTables } from './tables.js';

interface Owner {
  added: number;
  removed: number;
  /** Erased in this batch: its rows go. */
  gone: boolean;
}

interface ImageEntry {
  ownerId: string;
  analyzed: boolean;
  /** Rows in the table before this batch, still to be deleted. */
  stored: boolean;
}

interface FaceRow {
  face_id: string;
  owner_id: string;
  image_id: string;
  face_no: number;
  model_sha256: string;
  ord: number;
  kid: string;
  descriptor: string;
}

const EVENT_TYPES = ['ImageUploaded', 'ImageAnalyzed', 'ImageDeleted', 'ImageErased', 'ImageFacesErased', 'UserErased'];

async function sealedRows(dataKeys: DataKeys, imageId: string, ownerId: string, modelSha256: string, ord: number, faces: readonly FaceRecord[]): Promise<FaceRow[]> {
  const ids = faces.map((_f, i) => faceIdOf(imageId, modelSha256, i));
  const sealed = await dataKeys.sealCopies(
    { purpose: 'face_analysis', imageId },
    faces.map((f, i) => ({ aad: descriptorAad(ids[i]!), plaintext: descriptorBytes(f.descriptor) })),
  );
  if (!sealed) return []; // shredded since the event was read: its erasure follows
  return faces.map((_f, i) => ({
    face_id: ids[i]!,
    owner_id: ownerId,
    image_id: imageId,
    face_no: i,
    model_sha256: modelSha256,
    ord,
    kid: sealed.kid,
    descriptor: sealed.sealed[i]!.toString('hex'),
  }));
}

export const faceIndexProjection: Projection = {
  name: 'face-index',
  filter: { streamPrefixes: ['image-', 'user-'], eventTypes: EVENT_TYPES, omitData: { ImageUploaded: ['filename'] } },
  tables: faceIndexTables,
  async apply(tx: pg.ClientBase, events: RecordedEvent[], context) {
    const dataKeys = context.dataKeys;
    if (!dataKeys) throw new Error('the face index seals its descriptors: it needs an event store that seals personal data (src/privacy)');
    const imageIds = [...new Set(events.filter((e) => e.stream.startsWith('image-')).map((e) => streamId(e.stream, 'image')))];
    const erasedOwners = events.filter((e) => e.type === 'UserErased').map((e) => streamId(e.stream, 'user'));

    const images = new Map<string, ImageEntry>();
    const known = await tx.query<{ image_id: string; owner_id: string; analyzed: boolean }>(
      `select image_id, owner_id, analyzed from face_index_images where image_id = any($1::uuid[]) or owner_id = any($2::uuid[])`,
      [imageIds, erasedOwners],
    );
    for (const r of known.rows) images.set(r.image_id, { ownerId: r.owner_id, analyzed: r.analyzed, stored: true });
    const ownerIds = new Set([...known.rows.map((r) => r.owner_id), ...erasedOwners]);
    for (const e of events) if (e.type === 'ImageUploaded') ownerIds.add((e.data as { ownerId: string }).ownerId);
    const owners = new Map<string, Owner>();
    const counted = await tx.query<{ owner_id: string; added: string; removed: string }>('select owner_id, added, removed from face_index_owners where owner_id = any($1::uuid[])', [[...ownerIds]]);
    for (const r of counted.rows) owners.set(r.owner_id, { added: Number(r.added), removed: Number(r.removed), gone: false });
    const ownerOf = (id: string): Owner => {
      let o = owners.get(id);
      if (!o) owners.set(id, (o = { added: 0, removed: 0, gone: false }));
      return o;
    };

    /** Faces written in this batch, per image (the latest analysis's). */
    const rows = new Map<string, FaceRow[]>();
    /** Images whose stored rows (before this batch) go. */
    const clearStored = new Set<string>();
    /** Images whose face_index_images row goes. */
    const dropped = new Set<string>();
    const clear = (imageId: string, entry: ImageEntry) => {
      rows.delete(imageId);
      if (entry.stored) clearStored.add(imageId);
      entry.stored = false;
    };

    for (const recorded of events) {
      if (recorded.type === 'UserErased') {
        const ownerId = streamId(recorded.stream, 'user');
        for (const [imageId, entry] of images) {
          if (entry.ownerId !== ownerId) continue;
          clear(imageId, entry);
          images.delete(imageId);
          dropped.add(imageId);
        }
        ownerOf(ownerId).gone = true;
        continue;
      }
      const imageId = streamId(recorded.stream, 'image');
      const event = upcast(recorded) as ImageEvent | UserEvent;
      if (event.type === 'ImageUploaded') {
        images.set(imageId, { ownerId: event.data.ownerId, analyzed: false, stored: false });
        dropped.delete(imageId);
        ownerOf(event.data.ownerId);
        continue;
      }
      const entry = images.get(imageId);
      if (!entry) continue; // an image the index never saw uploaded (its owner erased)
      const owner = ownerOf(entry.ownerId);
      switch (event.type) {
        case 'ImageAnalyzed': {
          if (entry.analyzed) owner.removed++;
          entry.analyzed = true;
          owner.added++;
          clear(imageId, entry);
          const faces = Array.isArray(event.data.faces) ? event.data.faces : []; // erased: none
          if (faces.length > 0) rows.set(imageId, await sealedRows(dataKeys, imageId, entry.ownerId, event.data.model.sha256, owner.added, faces));
          break;
        }
        case 'ImageDeleted':
        case 'ImageErased':
          if (entry.analyzed) owner.removed++;
          clear(imageId, entry);
          images.delete(imageId);
          dropped.add(imageId);
          break;
        case 'ImageFacesErased':
          if (entry.analyzed) owner.removed++;
          entry.analyzed = false;
          clear(imageId, entry);
          break;
        default:
          break;
      }
    }

    const goneOwners = [...owners].filter(([, o]) => o.gone).map(([id]) => id);
    if (clearStored.size > 0 || goneOwners.length > 0) {
      await tx.query('delete from face_index where image_id = any($1::uuid[]) or owner_id = any($2::uuid[])', [[...clearStored], goneOwners]);
    }
    if (dropped.size > 0 || goneOwners.length > 0) {
      await tx.query('delete from face_index_images where image_id = any($1::uuid[]) or owner_id = any($2::uuid[])', [[...dropped], goneOwners]);
    }
    const imageRows = [...images].filter(([id]) => imageIds.includes(id)).map(([image_id, e]) => ({ image_id, owner_id: e.ownerId, analyzed: e.analyzed }));
    if (imageRows.length > 0) {
      await tx.query(
        `insert into face_index_images (image_id, owner_id, analyzed)
         select image_id, owner_id, analyzed from jsonb_to_recordset($1::jsonb) as r(image_id uuid, owner_id uuid, analyzed boolean)
         on conflict (image_id) do update set analyzed = excluded.analyzed`,
        [jsonRows(imageRows)],
      );
    }
    const faceRows = [...rows.values()].flat();
    if (faceRows.length > 0) {
      await tx.query(
        `insert into face_index (face_id, owner_id, image_id, face_no, model_sha256, ord, kid, descriptor)
         select face_id, owner_id, image_id, face_no, model_sha256, ord, kid, decode(descriptor, 'hex')
           from jsonb_to_recordset($1::jsonb) as r(face_id uuid, owner_id uuid, image_id uuid, face_no integer, model_sha256 text, ord bigint, kid uuid, descriptor text)`,
        [jsonRows(faceRows)],
      );
    }
    if (goneOwners.length > 0) await tx.query('delete from face_index_owners where owner_id = any($1::uuid[])', [goneOwners]);
    const ownerRows = [...owners].filter(([, o]) => !o.gone).map(([owner_id, o]) => ({ owner_id, added: o.added, removed: o.removed }));
    if (ownerRows.length > 0) {
      await tx.query(
        `insert into face_index_owners (owner_id, added, removed)
         select owner_id, added, removed from jsonb_to_recordset($1::jsonb) as r(owner_id uuid, added bigint, removed bigint)
         on conflict (owner_id) do update set added = excluded.added, removed = excluded.removed`,
        [jsonRows(ownerRows)],
      );
    }
  },
};
