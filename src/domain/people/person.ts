// The person aggregate (stream `person-<uuid>`): its name, its faces, the faces a user took out of
// it (the automatic reactor never puts those back), and its undo stack — every curation step not
// undone yet, newest last, each with what undoing it needs. Undo appends the step's compensating
// event; steps are referred to by their revision in the stream.
//
// A person belongs to its owner: to anyone else it does not exist (404). Commands that would take
// faces from another person carry `available` — the faces the use case found unowned or already
// released — because the decider sees only its own stream.

import { DomainError, type Decider } from '../decider.js';
import { isErased, type Erasable } from '../../privacy/declarations.js';
import type { CurationBy, PersonEvent, PersonFace } from './person-events.js';

type StepKind = 'created' | 'renamed' | 'assigned' | 'released' | 'absorbed' | 'deleted';

/** An undoable step: the event at `revision` and what its compensation needs. */
export interface CurationStep {
  revision: number;
  kind: StepKind;
  /** renamed: the name before. */
  previousName?: Erasable<string> | null;
  /** assigned / released / absorbed / deleted: the faces it moved. */
  faces?: PersonFace[];
  /** absorbed: the person merged in. */
  from?: string;
  /** released: the person the faces were moved to. */
  to?: string;
}

export type PersonStatus = 'active' | 'merged' | 'deleted';

export type PersonState =
  | { status: 'none' }
  | {
      status: PersonStatus;
      personId: string;
      ownerId: string;
      name: Erasable<string> | null;
      epoch: number;
      faces: ReadonlyMap<string, PersonFace>;
      /** Faces a user took out: never assigned here automatically again. */
      rejected: ReadonlySet<string>;
      steps: readonly CurationStep[];
      mergedInto: string | undefined;
      /** merged: the faces that went to `mergedInto` (what a repeated merge hands over). */
      mergedFaces: readonly PersonFace[];
      /** Events folded: the revision the next event gets. */
      events: number;
    };

export type PersonCommand =
  | { type: 'CreatePerson'; personId: string; ownerId: string; name: string | null; faces: PersonFace[]; by: CurationBy; epoch: number }
  | { type: 'RenamePerson'; ownerId: string; name: string | null }
  | { type: 'AssignFaces'; ownerId: string; faces: PersonFace[]; by: CurationBy }
  | { type: 'ReleaseFaces'; ownerId: string; faceIds: string[]; reason: 'user' | 'moved' | 'reembedded'; to?: string; by?: CurationBy }
  | { type: 'MergeInto'; ownerId: string; into: string }
  | { type: 'Absorb'; ownerId: string; from: string; faces: PersonFace[] }
  | { type: 'DeletePerson'; ownerId: string }
  /** Undoes the newest step (or every step after `toRevision`); `available`: faces that may come back (not someone else's now). */
  | { type: 'Undo'; ownerId: string; toRevision?: number; available: ReadonlySet<string> }
  /** The merge into `from` was undone there: these faces come back. */
  | { type: 'Restore'; ownerId: string; from: string; faces: PersonFace[] };

const notFound = () => new DomainError('not_found', 'person_not_found', 'no such person');

type Existing = Exclude<PersonState, { status: 'none' }>;

/** The person as its owner may change it: active, theirs (404 person_not_found, 409 person_merged). */
export function active(state: PersonState, ownerId: string): Existing {
  if (state.status === 'none' || state.ownerId !== ownerId || state.status === 'deleted') throw notFound();
  if (state.status === 'merged') throw new DomainError('conflict', 'person_merged', `this person was merged into ${state.mergedInto ?? 'another'}; change that one (or undo the merge there)`);
  return state;
}

const withoutUndone = (steps: readonly CurationStep[], undone: number | undefined) => (undone === undefined ? steps : steps.filter((s) => s.revision !== undone));

/** The compensating event of `step`, given the faces that may come back. */
function compensation(step: CurationStep, state: Existing, available: ReadonlySet<string>): PersonEvent {
  const undoes = step.revision;
  switch (step.kind) {
    case 'created':
      return { type: 'PersonDeleted', data: { faceIds: [...state.faces.keys()], by: 'user', undoes } };
    case 'renamed':
      return { type: 'PersonRenamed', data: { ownerId: state.ownerId, name: step.previousName ?? null, by: 'user', undoes } };
    case 'assigned':
      return { type: 'FacesReleased', data: { faceIds: (step.faces ?? []).map((f) => f.faceId).filter((id) => state.faces.has(id)), reason: 'undo', by: 'user', undoes } };
    case 'absorbed':
      return { type: 'FacesReleased', data: { faceIds: (step.faces ?? []).map((f) => f.faceId).filter((id) => state.faces.has(id)), reason: 'undo', by: 'user', to: step.from!, undoes } };
    case 'released':
    case 'deleted':
      return { type: 'FacesAssigned', data: { faces: (step.faces ?? []).filter((f) => available.has(f.faceId) && !state.faces.has(f.faceId)), by: 'user', undoes } };
  }
}

export const personDecider: Decider<PersonCommand, PersonEvent, PersonState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (command.type === 'CreatePerson') {
      if (state.status !== 'none') {
        // The same creation again (an automatic person, its id derived from the event that caused it): nothing new.
        if (state.ownerId === command.ownerId) return [];
        throw notFound();
      }
      const { personId, ownerId, name, faces, by, epoch } = command;
      return [{ type: 'PersonCreated', data: { personId, ownerId, name, faces, by, epoch } }];
    }
    if (command.type === 'Restore') {
      if (state.status === 'none' || state.ownerId !== command.ownerId) throw notFound();
      if (state.status !== 'merged' || state.mergedInto !== command.from) return []; // done already
      return [{ type: 'PersonRestored', data: { faces: command.faces, by: 'user', from: command.from } }];
    }
    if (command.type === 'Undo' && state.status === 'deleted' && state.ownerId === command.ownerId) {
      // A deleted person can be brought back by undoing its deletion (and nothing else).
      const last = state.steps.at(-1);
      if (last?.kind !== 'deleted') throw notFound();
      return [compensation(last, state, command.available)];
    }
    const person = active(state, command.ownerId);
    switch (command.type) {
      case 'RenamePerson': {
        if (person.name === command.name) return [];
        return [{ type: 'PersonRenamed', data: { ownerId: person.ownerId, name: command.name, by: 'user' } }];
      }
      case 'AssignFaces': {
        const fresh = command.faces.filter((f) => !person.faces.has(f.faceId) && !(command.by === 'auto' && person.rejected.has(f.faceId)));
        return fresh.length === 0 ? [] : [{ type: 'FacesAssigned', data: { faces: fresh, by: command.by } }];
      }
      case 'ReleaseFaces': {
        const held = command.faceIds.filter((id) => person.faces.has(id));
        if (command.reason === 'user' && held.length === 0) throw new DomainError('not_found', 'face_not_in_person', 'the face is not one of this person’s');
        if (held.length === 0) return [];
        return [{ type: 'FacesReleased', data: { faceIds: held, reason: command.reason, by: command.by ?? 'user', ...(command.to === undefined ? {} : { to: command.to }) } }];
      }
      case 'MergeInto':
        if (command.into === person.personId) throw new DomainError('conflict', 'merge_into_itself', 'a person cannot be merged into itself');
        return [{ type: 'PersonMergedInto', data: { into: command.into, faces: [...person.faces.values()], by: 'user' } }];
      case 'Absorb': {
        if (person.steps.some((s) => s.kind === 'absorbed' && s.from === command.from)) return []; // done already
        return [{ type: 'PersonAbsorbed', data: { from: command.from, faces: command.faces.filter((f) => !person.faces.has(f.faceId)), by: 'user' } }];
      }
      case 'DeletePerson':
        return [{ type: 'PersonDeleted', data: { faceIds: [...person.faces.keys()], by: 'user' } }];
      case 'Undo': {
        const target = command.toRevision;
        const steps = target === undefined ? person.steps.slice(-1) : person.steps.filter((s) => s.revision > target);
        if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= person.events)) {
          throw new DomainError('invalid', 'invalid_revision', `toRevision must be a revision of this person (0 to ${person.events - 1})`);
        }
        if (steps.length === 0) {
          if (target !== undefined) return [];
          throw new DomainError('conflict', 'nothing_to_undo', 'every step of this person is undone already');
        }
        // Newest first; each compensation computed on the state the previous ones leave.
        const out: PersonEvent[] = [];
        let current: PersonState = person;
        for (const step of [...steps].reverse()) {
          if (current.status === 'none') break;
          const event = compensation(step, current, command.available);
          out.push(event);
          current = personDecider.evolve(current, event);
          if (event.type === 'PersonDeleted') break; // undoing the creation ends the person
        }
        return out;
      }
    }
  },

  evolve(state, event) {
    if (event.type === 'PersonCreated') {
      const d = event.data;
      return {
        status: 'active',
        personId: d.personId,
        ownerId: d.ownerId,
        name: d.name,
        epoch: d.epoch,
        faces: new Map(d.faces.map((f) => [f.faceId, f])),
        rejected: new Set(),
        steps: [{ revision: 0, kind: 'created' }],
        mergedInto: undefined,
        mergedFaces: [],
        events: 1,
      };
    }
    if (state.status === 'none') return state;
    const revision = state.events;
    const next = { ...state, events: revision + 1 };
    switch (event.type) {
      case 'PersonRenamed': {
        const steps = withoutUndone(state.steps, event.data.undoes);
        return { ...next, name: event.data.name, steps: event.data.undoes === undefined ? [...steps, { revision, kind: 'renamed', previousName: state.name }] : steps };
      }
      case 'FacesAssigned': {
        const faces = new Map(state.faces);
        const rejected = new Set(state.rejected);
        for (const f of event.data.faces) {
          faces.set(f.faceId, f);
          rejected.delete(f.faceId);
        }
        const steps = withoutUndone(state.steps, event.data.undoes);
        // Undoing a deletion brings the person back.
        const status = event.data.undoes !== undefined && state.status === 'deleted' ? 'active' : state.status;
        return { ...next, status, faces, rejected, steps: event.data.undoes === undefined ? [...steps, { revision, kind: 'assigned', faces: event.data.faces }] : steps };
      }
      case 'FacesReleased': {
        const faces = new Map(state.faces);
        const released: PersonFace[] = [];
        for (const id of event.data.faceIds) {
          const f = faces.get(id);
          if (f) released.push(f);
          faces.delete(id);
        }
        const rejected = event.data.reason === 'user' ? new Set([...state.rejected, ...event.data.faceIds]) : state.rejected;
        const steps = withoutUndone(state.steps, event.data.undoes);
        // A user's release (take out, move elsewhere) can be undone; an undo's cannot.
        const undoable = event.data.undoes === undefined && (event.data.reason === 'user' || event.data.reason === 'moved');
        const step: CurationStep = { revision, kind: 'released', faces: released, ...(event.data.to === undefined ? {} : { to: event.data.to }) };
        return { ...next, faces, rejected, steps: undoable ? [...steps, step] : steps };
      }
      case 'PersonMergedInto':
        return { ...next, status: 'merged', mergedInto: event.data.into, mergedFaces: event.data.faces, faces: new Map() };
      case 'PersonAbsorbed': {
        const faces = new Map(state.faces);
        for (const f of event.data.faces) faces.set(f.faceId, f);
        return { ...next, faces, steps: [...state.steps, { revision, kind: 'absorbed', faces: event.data.faces, from: event.data.from }] };
      }
      case 'PersonRestored': {
        const faces = new Map(state.faces);
        for (const f of event.data.faces) faces.set(f.faceId, f);
        return { ...next, status: 'active', mergedInto: undefined, mergedFaces: [], faces };
      }
      case 'PersonDeleted': {
        const steps = withoutUndone(state.steps, event.data.undoes);
        const released = [...state.faces.values()];
        // Undoing the creation ends the person for good; a deletion can itself be undone.
        return { ...next, status: 'deleted', faces: new Map(), steps: event.data.undoes === undefined ? [...steps, { revision, kind: 'deleted', faces: released }] : [] };
      }
    }
  },
};

/** The name as shown: the tombstone once erased. */
export const displayName = (name: Erasable<string> | null): string | null => (name === null ? null : isErased(name) ? '[erased]' : name);
