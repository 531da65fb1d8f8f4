// Whose face is it: the caller's people (GraphQL people, every page) as a map from face id to
// person. Needs face_recognition consent; without it the map is empty and `consent` says so.

import { query } from '../../api/graphql.js';
import { ProblemError } from '../../api/problem.js';

export interface PersonRef {
  personId: string;
  name: string | null;
}

export interface FacePeople {
  byFace: Map<string, PersonRef>;
  consent: boolean;
}

const PEOPLE = /* GraphQL */ `
  query People($after: String) {
    people(first: 100, after: $after) { items { personId name status faces { faceId } } nextCursor }
  }
`;

interface PeopleAnswer {
  people: { items: { personId: string; name: string | null; status: string; faces: { faceId: string }[] }[]; nextCursor: string | null };
}

/** At most this many pages (10 000 people) are read. */
const MAX_PAGES = 100;

export async function facePeople(): Promise<FacePeople> {
  const byFace = new Map<string, PersonRef>();
  let after: string | null = null;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer: PeopleAnswer = await query<PeopleAnswer>(PEOPLE, { after });
      for (const p of answer.people.items) {
        if (p.status !== 'active') continue;
        for (const f of p.faces) byFace.set(f.faceId, { personId: p.personId, name: p.name });
      }
      after = answer.people.nextCursor;
      if (!after) break;
    }
  } catch (err) {
    if (err instanceof ProblemError && err.code === 'consent_required') return { byFace, consent: false };
    throw err;
  }
  return { byFace, consent: true };
}
