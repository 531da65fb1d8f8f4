// People (issue 17, DESIGN.md §10): `person-<uuid>` streams, one per person of an owner's gallery.
// Every curation step is an event naming who took it (`by`: a user, or `auto` — the automatic
// people reactor, with the distance that decided it; the metadata's actor says which user or
// process). Undo appends a compensating event that names the step it undoes (`undoes`: its revision
// in the stream); nothing is ever rewritten.
//
// A face belongs to at most one person. Moving a face (a split, an assignment of a face that was
// someone else's, a merge) releases it from its person first, then assigns it; should the second
// append never happen, the face is left unassigned, never in two people, and repeating the command
// finishes it.

import type { DomainEvent } from '../decider.js';
import type { Erasable } from '../../privacy/declarations.js';

/** A face of a person: its id (images API `faceId`), its image, and for automatic steps the distance that decided it. */
export interface PersonFace {
  faceId: string;
  imageId: string;
  distance?: number;
}

export type CurationBy = 'user' | 'auto';

/** Why faces left a person. */
export type ReleaseReason = 'user' | 'moved' | 'undo' | 'merged' | 'reembedded';

export type PersonCreated = DomainEvent<
  'PersonCreated',
  {
    personId: string;
    ownerId: string;
    /** Sealed (personal data of whoever is pictured) under the owner's face_recognition key; null: unnamed. */
    name: Erasable<string> | null;
    faces: PersonFace[];
    by: CurationBy;
    /** The owner's face_recognition withdrawals when the person was created: a withdrawal ends every person of an earlier epoch. */
    epoch: number;
  }
>;
export type PersonRenamed = DomainEvent<'PersonRenamed', { ownerId: string; name: Erasable<string> | null; by: CurationBy; undoes?: number }>;
export type FacesAssigned = DomainEvent<'FacesAssigned', { faces: PersonFace[]; by: CurationBy; undoes?: number }>;
/**
 * Faces left the person: a user took them out (`user`: never assigned anywhere again automatically),
 * moved them to `to`, undid their assignment, or the image was analysed again by another model and
 * its new faces took their place (`reembedded`).
 */
export type FacesReleased = DomainEvent<'FacesReleased', { faceIds: string[]; reason: ReleaseReason; by: CurationBy; to?: string; undoes?: number }>;
/** This person was merged into `into`: its faces went there. */
export type PersonMergedInto = DomainEvent<'PersonMergedInto', { into: string; faces: PersonFace[]; by: CurationBy }>;
/** The faces of person `from` merged into this one. */
export type PersonAbsorbed = DomainEvent<'PersonAbsorbed', { from: string; faces: PersonFace[]; by: CurationBy }>;
/** The merge into `from` was undone there: this person is back with these of its faces. */
export type PersonRestored = DomainEvent<'PersonRestored', { faces: PersonFace[]; by: CurationBy; undoes?: number; from?: string }>;
export type PersonDeleted = DomainEvent<'PersonDeleted', { faceIds: string[]; by: CurationBy; undoes?: number }>;

export type PersonEvent = PersonCreated | PersonRenamed | FacesAssigned | FacesReleased | PersonMergedInto | PersonAbsorbed | PersonRestored | PersonDeleted;

export const PERSON_EVENT_TYPES = ['PersonCreated', 'PersonRenamed', 'FacesAssigned', 'FacesReleased', 'PersonMergedInto', 'PersonAbsorbed', 'PersonRestored', 'PersonDeleted'] as const;

export const PERSON_STREAM_PREFIX = 'person-';
export const personStream = (personId: string) => `${PERSON_STREAM_PREFIX}${personId}`;

/** Longest person name (characters). */
export const MAX_PERSON_NAME = 200;
/** Most faces one command names. */
export const MAX_FACES_PER_COMMAND = 500;
