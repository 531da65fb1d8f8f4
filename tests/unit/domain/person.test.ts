// The person decider (issue 17): curation steps, the undo stack, and the rules the automatic
// reactor relies on (a face a user took out is never put back automatically; an automatic person
// created twice from the same event is created once).

import { describe, it } from 'vitest';
import type { PersonEvent } from '../../../src/domain/people/person-events.js';
import { personDecider } from '../../../src/domain/people/person.js';
import { given } from '../../support/given-when-then.js';

const owner = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const pid = '33333333-3333-4333-8333-333333333333';
const face = (n: number) => ({ faceId: `00000000-0000-4000-8000-00000000000${n}`, imageId: '44444444-4444-4444-8444-444444444444' });
const created: PersonEvent = { type: 'PersonCreated', data: { personId: pid, ownerId: owner, name: 'Ada', faces: [face(1)], by: 'user', epoch: 0 } };
const none = new Set<string>();

describe('person decider', () => {
  it('creates once: the same creation again records nothing; another owner’s id is not found', () => {
    given(personDecider).when({ type: 'CreatePerson', personId: pid, ownerId: owner, name: 'Ada', faces: [face(1)], by: 'user', epoch: 0 }).then([created]);
    given(personDecider, [created]).when({ type: 'CreatePerson', personId: pid, ownerId: owner, name: 'Ada', faces: [face(1)], by: 'auto', epoch: 0 }).then([]);
    given(personDecider, [created]).when({ type: 'RenamePerson', ownerId: other, name: 'x' }).thenFails('person_not_found', 'not_found');
  });

  it('never assigns automatically a face a user took out; a user may', () => {
    const out: PersonEvent = { type: 'FacesReleased', data: { faceIds: [face(1).faceId], reason: 'user', by: 'user' } };
    given(personDecider, [created, out]).when({ type: 'AssignFaces', ownerId: owner, faces: [face(1), face(2)], by: 'auto' }).then([{ type: 'FacesAssigned', data: { faces: [face(2)], by: 'auto' } }]);
    given(personDecider, [created, out]).when({ type: 'AssignFaces', ownerId: owner, faces: [face(1)], by: 'user' }).then([{ type: 'FacesAssigned', data: { faces: [face(1)], by: 'user' } }]);
  });

  it('undoes the newest step with its compensation, then the one before', () => {
    const renamed: PersonEvent = { type: 'PersonRenamed', data: { ownerId: owner, name: 'Ada L.', by: 'user' } };
    const assigned: PersonEvent = { type: 'FacesAssigned', data: { faces: [face(2)], by: 'user' } };
    given(personDecider, [created, renamed, assigned]).when({ type: 'Undo', ownerId: owner, available: none }).then([{ type: 'FacesReleased', data: { faceIds: [face(2).faceId], reason: 'undo', by: 'user', undoes: 2 } }]);
    const undone: PersonEvent = { type: 'FacesReleased', data: { faceIds: [face(2).faceId], reason: 'undo', by: 'user', undoes: 2 } };
    given(personDecider, [created, renamed, assigned, undone]).when({ type: 'Undo', ownerId: owner, available: none }).then([{ type: 'PersonRenamed', data: { ownerId: owner, name: 'Ada', by: 'user', undoes: 1 } }]);
    // toRevision: every step after it, newest first.
    given(personDecider, [created, renamed, assigned]).when({ type: 'Undo', ownerId: owner, toRevision: 0, available: none }).then([
      { type: 'FacesReleased', data: { faceIds: [face(2).faceId], reason: 'undo', by: 'user', undoes: 2 } },
      { type: 'PersonRenamed', data: { ownerId: owner, name: 'Ada', by: 'user', undoes: 1 } },
    ]);
    given(personDecider, [created]).when({ type: 'Undo', ownerId: owner, toRevision: 5, available: none }).thenFails('invalid_revision', 'invalid');
  });

  it('brings back only the faces still free when undoing a release or a deletion', () => {
    const deleted: PersonEvent = { type: 'PersonDeleted', data: { faceIds: [face(1).faceId], by: 'user' } };
    given(personDecider, [created, deleted]).when({ type: 'Undo', ownerId: owner, available: new Set([face(1).faceId]) }).then([{ type: 'FacesAssigned', data: { faces: [face(1)], by: 'user', undoes: 1 } }]);
    given(personDecider, [created, deleted]).when({ type: 'Undo', ownerId: owner, available: none }).then([{ type: 'FacesAssigned', data: { faces: [], by: 'user', undoes: 1 } }]);
    given(personDecider, [created, deleted]).when({ type: 'RenamePerson', ownerId: owner, name: 'x' }).thenFails('person_not_found');
  });

  it('a merged person takes no command until its merge is undone there; a merge into itself is refused', () => {
    const merged: PersonEvent = { type: 'PersonMergedInto', data: { into: other, faces: [face(1)], by: 'user' } };
    given(personDecider, [created, merged]).when({ type: 'RenamePerson', ownerId: owner, name: 'x' }).thenFails('person_merged', 'conflict');
    given(personDecider, [created, merged]).when({ type: 'Restore', ownerId: owner, from: other, faces: [face(1)] }).then([{ type: 'PersonRestored', data: { faces: [face(1)], by: 'user', from: other } }]);
    given(personDecider, [created]).when({ type: 'Restore', ownerId: owner, from: other, faces: [face(1)] }).then([]);
    given(personDecider, [created]).when({ type: 'MergeInto', ownerId: owner, into: pid }).thenFails('merge_into_itself');
  });

  it('absorbs a merged person once', () => {
    const absorbed: PersonEvent = { type: 'PersonAbsorbed', data: { from: other, faces: [face(3)], by: 'user' } };
    given(personDecider, [created]).when({ type: 'Absorb', ownerId: owner, from: other, faces: [face(3)] }).then([absorbed]);
    given(personDecider, [created, absorbed]).when({ type: 'Absorb', ownerId: owner, from: other, faces: [face(3)] }).then([]);
    given(personDecider, [created, absorbed]).when({ type: 'Undo', ownerId: owner, available: none }).then([{ type: 'FacesReleased', data: { faceIds: [face(3).faceId], reason: 'undo', by: 'user', to: other, undoes: 1 } }]);
  });
});
