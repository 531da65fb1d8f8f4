// Read side of people (rm.people, rm.person_faces) and a person's history (its stream, names
// opened). A person is its owner's: to anyone else it does not exist (404). Also the lookups the
// people use cases and face search make: whose faces these are (rm.face_index) and whose person.

import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import { personStream, type PersonEvent } from '../../domain/people/person-events.js';
import { displayName } from '../../domain/people/person.js';
import { positionToCursor } from '../../eventstore/position.js';
import type { EventStore } from '../../eventstore/types.js';
import type { Person, PersonHistoryEntry, PersonWithFaces } from './shapes.js';

type PersonView = Static<typeof Person>;
type HistoryEntry = Static<typeof PersonHistoryEntry>;

export const MAX_PEOPLE_PAGE = 100;

export class InvalidPeopleCursorError extends Error {
  readonly code = 'invalid_cursor';
}

interface PersonRow {
  person_id: string;
  name: string | null;
  status: PersonView['status'];
  merged_into: string | null;
  face_count: number;
  revision: string;
  created_at: Date;
  updated_at: Date;
  created_key: string;
}

const COLUMNS = 'person_id, name, status, merged_into, face_count, revision::text, created_at, updated_at, created_at::text as created_key';

function view(r: PersonRow): PersonView {
  return {
    personId: r.person_id,
    name: r.name,
    status: r.status,
    mergedInto: r.merged_into,
    faceCount: r.face_count,
    revision: r.revision,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export class PeopleQuery {
  constructor(
    private readonly pool: pg.Pool,
    /** For history (its stream); absent where only the read model is read (live notices). */
    private readonly store: EventStore | undefined,
  ) {}

  /** The owner's active people, newest first. */
  async list(ownerId: string, opts: { cursor?: string | undefined; limit: number }): Promise<{ items: PersonView[]; nextCursor: string | null }> {
    const values: unknown[] = [ownerId, opts.limit + 1];
    let after = '';
    if (opts.cursor !== undefined) {
      let key: unknown;
      try {
        key = JSON.parse(Buffer.from(opts.cursor, 'base64url').toString('utf8'));
      } catch {
        key = undefined;
      }
      if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== 'string' || !/^[0-9a-f-]{36}$/.test(key[1]) || Number.isNaN(Date.parse(key[0]))) {
        throw new InvalidPeopleCursorError('the page cursor is not valid');
      }
      values.push(key[0], key[1]);
      after = 'and (created_at, person_id) < ($3::timestamptz, $4::uuid)';
    }
    const { rows } = await this.pool.query<PersonRow>(
      `select ${COLUMNS} from rm.people where owner_id = $1 and status = 'active' ${after} order by created_at desc, person_id desc limit $2`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const last = page.at(-1);
    return { items: page.map(view), nextCursor: rows.length > opts.limit && last ? Buffer.from(JSON.stringify([last.created_key, last.person_id])).toString('base64url') : null };
  }

  /** The owner's person with its faces (merged and deleted ones too: what undo can bring back), or undefined. */
  async get(ownerId: string, personId: string): Promise<Static<typeof PersonWithFaces> | undefined> {
    const { rows } = await this.pool.query<PersonRow>(`select ${COLUMNS} from rm.people where person_id = $1 and owner_id = $2`, [personId, ownerId]);
    const row = rows[0];
    if (!row) return undefined;
    const faces = await this.pool.query<{ face_id: string; image_id: string; by: 'user' | 'auto'; distance: number | null }>(
      'select face_id, image_id, by, distance from rm.person_faces where person_id = $1 order by image_id, face_id',
      [personId],
    );
    return { ...view(row), faces: faces.rows.map((f) => ({ faceId: f.face_id, imageId: f.image_id, by: f.by, distance: f.distance })) };
  }

  /** Every step of the owner's person, oldest first, from its stream (undefined: not theirs). */
  async history(ownerId: string, personId: string): Promise<HistoryEntry[] | undefined> {
    if (!this.store) throw new Error('PeopleQuery.history needs the event store');
    const out: HistoryEntry[] = [];
    for await (const e of this.store.readStream(personStream(personId))) {
      const event = { type: e.type, data: e.data } as PersonEvent;
      if (event.type === 'PersonCreated' && event.data.ownerId !== ownerId) return undefined;
      const d = event.data as Partial<{ name: unknown; faces: { faceId: string }[]; faceIds: string[]; into: string; from: string; to: string; reason: string; undoes: number; by: 'user' | 'auto' }>;
      out.push({
        revision: e.revision.toString(),
        position: positionToCursor(e.position),
        type: e.type,
        at: e.recordedAt.toISOString(),
        by: d.by ?? 'user',
        actor: { id: e.metadata.actor?.id ?? 'unknown', kind: e.metadata.actor?.kind ?? 'unknown' },
        ...('name' in d ? { name: displayName(d.name as never) } : {}),
        ...(d.faces ? { faceIds: d.faces.map((f) => f.faceId) } : d.faceIds ? { faceIds: d.faceIds } : {}),
        ...(d.into !== undefined || d.from !== undefined || d.to !== undefined ? { person: d.into ?? d.from ?? d.to ?? null } : {}),
        ...(d.reason === undefined ? {} : { reason: d.reason }),
        undoes: d.undoes === undefined ? null : String(d.undoes),
      });
    }
    return out.length === 0 ? undefined : out;
  }

  /** The owners of these people (those in the read model). */
  async ownersOf(personIds: readonly string[]): Promise<{ personId: string; ownerId: string }[]> {
    if (personIds.length === 0) return [];
    const { rows } = await this.pool.query<{ person_id: string; owner_id: string }>('select person_id, owner_id from rm.people where person_id = any($1::uuid[])', [personIds]);
    return rows.map((r) => ({ personId: r.person_id, ownerId: r.owner_id }));
  }

  /** The person (active) each face belongs to. */
  async personsOf(faceIds: readonly string[]): Promise<Map<string, string>> {
    if (faceIds.length === 0) return new Map();
    const { rows } = await this.pool.query<{ face_id: string; person_id: string }>('select face_id, person_id from rm.person_faces where face_id = any($1::uuid[])', [faceIds]);
    return new Map(rows.map((r) => [r.face_id, r.person_id]));
  }

  /** Of `faceIds`, those a user took out of a person (the automatic reactor leaves them alone). */
  async rejectedOf(faceIds: readonly string[]): Promise<Set<string>> {
    if (faceIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ face_id: string }>('select face_id from rm.face_rejections where face_id = any($1::uuid[])', [faceIds]);
    return new Set(rows.map((r) => r.face_id));
  }

  /** The faces of an image that are in a person now, with the person. */
  async personFacesOfImage(imageId: string): Promise<{ faceId: string; personId: string }[]> {
    const { rows } = await this.pool.query<{ face_id: string; person_id: string }>('select face_id, person_id from rm.person_faces where image_id = $1', [imageId]);
    return rows.map((r) => ({ faceId: r.face_id, personId: r.person_id }));
  }

  /** The owner's faces among `faceIds` (in the face index), with their images. */
  async facesOf(ownerId: string, faceIds: readonly string[]): Promise<Map<string, { imageId: string }>> {
    if (faceIds.length === 0) return new Map();
    const { rows } = await this.pool.query<{ face_id: string; image_id: string }>('select face_id, image_id from rm.face_index where owner_id = $1 and face_id = any($2::uuid[])', [ownerId, faceIds]);
    return new Map(rows.map((r) => [r.face_id, { imageId: r.image_id }]));
  }
}
