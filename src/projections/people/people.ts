// The people projection (issue 17): person events → rm.people and rm.person_faces; a withdrawal of
// face_recognition consent ends the owner's people (their epoch); an account's erasure removes
// them; a deleted or erased image, or erased faces, take the image's faces out of their people.
// Events are applied in order, one statement each: curation is a user's pace, and a replay of the
// whole log stays a few statements per person event.

import type pg from 'pg';
import type { UserEvent } from '../../domain/identity/user-events.js';
import { PERSON_EVENT_TYPES, PERSON_STREAM_PREFIX, type PersonEvent, type PersonFace } from '../../domain/people/person-events.js';
import { displayName } from '../../domain/people/person.js';
import { upcast } from '../../domain/upcast.js';
import { positionToCursor } from '../../eventstore/position.js';
import type { RecordedEvent } from '../../eventstore/types.js';
import { jsonRows } from '../batch-sql.js';
import type { Projection } from '../projection.js';
import { streamId } from '../stream-id.js';
import { peopleTables } from './tables.js';

const IMAGE_REMOVALS = ['ImageDeleted', 'ImageErased', 'ImageFacesErased'];

async function setFaces(tx: pg.ClientBase, personId: string, ownerId: string, faces: readonly PersonFace[], by: string, position: string): Promise<void> {
  if (faces.length === 0) return;
  await tx.query(
    `insert into person_faces (face_id, person_id, owner_id, image_id, by, distance, position)
     select face_id, $1, $2, image_id, $3, distance, $4 from jsonb_to_recordset($5::jsonb) as f(face_id uuid, image_id uuid, distance double precision)
     on conflict (face_id) do update set person_id = excluded.person_id, image_id = excluded.image_id, by = excluded.by, distance = excluded.distance, position = excluded.position`,
    [personId, ownerId, by, position, jsonRows(faces.map((f) => ({ face_id: f.faceId, image_id: f.imageId, distance: f.distance ?? null })))],
  );
}

export const peopleProjection: Projection = {
  name: 'people',
  filter: {
    streamPrefixes: [PERSON_STREAM_PREFIX, 'user-', 'image-'],
    eventTypes: [...PERSON_EVENT_TYPES, 'ConsentWithdrawn', 'UserErased', ...IMAGE_REMOVALS],
  },
  tables: peopleTables,
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const touched = new Set<string>();
    for (const recorded of events) {
      const position = positionToCursor(recorded.position);
      const at = recorded.recordedAt.toISOString();
      if (recorded.stream.startsWith('user-')) {
        const event = upcast(recorded) as UserEvent;
        const ownerId = streamId(recorded.stream, 'user');
        if (event.type === 'ConsentWithdrawn' && event.data.purpose !== 'face_recognition') continue;
        await tx.query('delete from person_faces where owner_id = $1', [ownerId]);
        await tx.query('delete from face_rejections where owner_id = $1', [ownerId]);
        await tx.query('delete from people where owner_id = $1', [ownerId]);
        if (event.type === 'ConsentWithdrawn') {
          await tx.query('insert into people_owners (owner_id, epoch) values ($1, 1) on conflict (owner_id) do update set epoch = people_owners.epoch + 1', [ownerId]);
        } else {
          await tx.query('delete from people_owners where owner_id = $1', [ownerId]);
        }
        continue;
      }
      if (recorded.stream.startsWith('image-')) {
        const { rows } = await tx.query<{ person_id: string }>('delete from person_faces where image_id = $1 returning person_id', [streamId(recorded.stream, 'image')]);
        for (const r of rows) touched.add(r.person_id);
        continue;
      }
      const personId = streamId(recorded.stream, 'person');
      const event = upcast(recorded) as PersonEvent;
      if (event.type === 'PersonCreated') {
        const d = event.data;
        const owner = await tx.query<{ epoch: number }>('select epoch from people_owners where owner_id = $1', [d.ownerId]);
        if (d.epoch < (owner.rows[0]?.epoch ?? 0)) continue; // created under a consent withdrawn since
        await tx.query(
          `insert into people (person_id, owner_id, name, status, epoch, face_count, revision, created_at, updated_at, last_position)
           values ($1, $2, $3, 'active', $4, 0, $5, $6, $6, $7)`,
          [personId, d.ownerId, displayName(d.name), d.epoch, recorded.revision.toString(), at, position],
        );
        await setFaces(tx, personId, d.ownerId, d.faces, d.by, position);
        if (d.by === 'user') await tx.query('delete from face_rejections where face_id = any($1::uuid[])', [d.faces.map((f) => f.faceId)]);
        touched.add(personId);
        continue;
      }
      // Later events of a person ended with its epoch (or never projected) change nothing.
      const { rows } = await tx.query<{ owner_id: string }>(
        'update people set revision = $2, updated_at = $3, last_position = $4 where person_id = $1 returning owner_id',
        [personId, recorded.revision.toString(), at, position],
      );
      const ownerId = rows[0]?.owner_id;
      if (ownerId === undefined) continue;
      touched.add(personId);
      switch (event.type) {
        case 'PersonRenamed':
          await tx.query('update people set name = $2 where person_id = $1', [personId, displayName(event.data.name)]);
          break;
        case 'FacesAssigned':
        case 'PersonAbsorbed':
        case 'PersonRestored':
          if (event.type === 'PersonRestored') await tx.query(`update people set status = 'active', merged_into = null where person_id = $1`, [personId]);
          if (event.type === 'FacesAssigned' && event.data.undoes !== undefined) await tx.query(`update people set status = 'active' where person_id = $1`, [personId]);
          await setFaces(tx, personId, ownerId, event.data.faces, event.data.by, position);
          // A face a user puts anywhere is no longer one they took out.
          if (event.data.by === 'user') await tx.query('delete from face_rejections where face_id = any($1::uuid[])', [event.data.faces.map((f) => f.faceId)]);
          break;
        case 'FacesReleased':
          await tx.query('delete from person_faces where person_id = $1 and face_id = any($2::uuid[])', [personId, event.data.faceIds]);
          if (event.data.reason === 'user') {
            await tx.query(
              `insert into face_rejections (face_id, person_id, owner_id) select unnest($1::uuid[]), $2, $3
               on conflict (face_id) do update set person_id = excluded.person_id`,
              [event.data.faceIds, personId, ownerId],
            );
          }
          break;
        case 'PersonMergedInto':
          await tx.query(`update people set status = 'merged', merged_into = $2 where person_id = $1`, [personId, event.data.into]);
          await tx.query('delete from person_faces where person_id = $1', [personId]);
          break;
        case 'PersonDeleted':
          await tx.query(`update people set status = 'deleted' where person_id = $1`, [personId]);
          await tx.query('delete from person_faces where person_id = $1', [personId]);
          break;
        default:
          break;
      }
    }
    if (touched.size > 0) {
      await tx.query(
        `update people p set face_count = (select count(*) from person_faces f where f.person_id = p.person_id) where p.person_id = any($1::uuid[])`,
        [[...touched]],
      );
    }
  },
};
