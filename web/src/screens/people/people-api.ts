// What the people screens read and send: the caller's people (GraphQL, with their faces, in one
// request), one person and its history, the curation commands (each answers the position of its
// last event, for consistentWith on the next read) and the search by photo.

import { api, get } from '../../api/client.js';
import { query } from '../../api/graphql.js';

export interface PersonFace {
  faceId: string;
  imageId: string;
  by: 'user' | 'auto';
  distance: number | null;
}

export interface Person {
  personId: string;
  /** null: unnamed */
  name: string | null;
  status: 'active' | 'merged' | 'deleted';
  mergedInto: string | null;
  faceCount: number;
  revision: string;
  updatedAt: string;
  faces: PersonFace[];
}

export interface HistoryEntry {
  revision: string;
  position: string;
  type: string;
  at: string;
  by: 'user' | 'auto';
  actor: { id: string; kind: string };
  name?: string | null;
  faceIds?: string[];
  person?: string | null;
  reason?: string;
  undoes: string | null;
}

/** A command's answer: the position of its last event (null: nothing changed). */
export interface Changed {
  personId: string;
  position: string | null;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FaceMatch {
  faceId: string;
  imageId: string;
  personId: string | null;
  distance: number;
}

export interface PhotoSearchResult {
  matches: FaceMatch[];
  unknown: boolean;
  threshold: number;
  gallerySize: number;
  face?: { box: Box; score: number };
}

const PERSON_FIELDS = 'personId name status mergedInto faceCount revision updatedAt faces { faceId imageId by distance }';
const at = (consistentWith: string | null | undefined) => (consistentWith ? `?consistentWith=${encodeURIComponent(consistentWith)}` : '');

/** The caller's people, newest first (the first 100), with their faces. */
export async function listPeople(consistentWith?: string | null): Promise<Person[]> {
  const data = await query<{ people: { items: Person[] } }>(`query People($c: String) { people(first: 100, consistentWith: $c) { items { ${PERSON_FIELDS} } } }`, { c: consistentWith ?? null });
  return data.people.items;
}

export const readPerson = (personId: string, consistentWith?: string | null, signal?: AbortSignal) => get<Person>(`/v1/people/${personId}${at(consistentWith)}`, { signal });

export const readHistory = (personId: string, signal?: AbortSignal) => get<{ items: HistoryEntry[] }>(`/v1/people/${personId}/history`, { signal }).then((h) => h.items);

export const rename = (personId: string, name: string) => api<Changed>('PATCH', `/v1/people/${personId}`, { body: { name: name.trim() === '' ? null : name } });

/** Merges `otherId` into `intoId` (undo on `intoId` gives it back). */
export const merge = (intoId: string, otherId: string) => api<Changed>('POST', `/v1/people/${intoId}/merge`, { body: { personId: otherId } });

/** Undoes every step after `toRevision` (or the newest step). */
export const undo = (personId: string, toRevision?: number) => api<Changed>('POST', `/v1/people/${personId}/undo`, { body: toRevision === undefined ? {} : { toRevision } });

/** The faces of the gallery nearest to the largest face of `photo` (not stored). */
export function searchByPhoto(photo: File, signal?: AbortSignal): Promise<PhotoSearchResult> {
  const form = new FormData();
  form.append('file', photo, photo.name);
  return api<PhotoSearchResult>('POST', '/v1/faces/search?faces=largest&k=10', { form, signal });
}

/** Its name, or for an unnamed person a short form of its id (several may be unnamed). */
export const displayName = (p: Pick<Person, 'name' | 'personId'>) => p.name ?? `Unnamed ${p.personId.slice(0, 8)}`;
