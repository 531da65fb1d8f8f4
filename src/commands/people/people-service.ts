// The people use cases (issue 17): create, rename, assign and take out faces, merge, undo, delete —
// each a command on `person-<uuid>` streams. Every one needs the owner's face_recognition consent
// (read from the user stream now); a person of an earlier consent (withdrawn since: its `epoch`)
// no longer exists. Faces must be in the owner's face index; a face that is another person's is
// released there first ("moved"), then assigned — so a crash between the two leaves it unassigned,
// never in two people, and the same request again finishes it. A merge releases the merged person
// first (PersonMergedInto), then absorbs its faces; its undo gives them back the same way.

import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/decider.js';
import { MAX_FACES_PER_COMMAND, MAX_PERSON_NAME, personStream, type PersonFace } from '../../domain/people/person-events.js';
import { active, personDecider, type PersonCommand, type PersonState } from '../../domain/people/person.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import { handleCommand, loadStream } from '../command-handler.js';
import type { CommandContext } from '../context.js';
import { requireConsent } from '../identity/consents.js';

/** What the use cases look up on the read side (injected: the command side does not read read models itself). */
export interface PeopleLookups {
  /** The owner's faces among `faceIds` in the face index, with their images (absent: not the owner's, or unknown). */
  facesOf(ownerId: string, faceIds: readonly string[]): Promise<Map<string, { imageId: string }>>;
  /** The person each of `faceIds` belongs to now (absent: none). */
  personsOf(faceIds: readonly string[]): Promise<Map<string, string>>;
}

export interface PeopleResult {
  personId: string;
  /** The last event this request appended (null: nothing new). */
  position: Position | null;
}

const notFound = () => new DomainError('not_found', 'person_not_found', 'no such person');

function checkName(name: string | null): string | null {
  if (name === null) return null;
  const trimmed = name.trim();
  if (trimmed.length === 0) return null;
  if ([...trimmed].length > MAX_PERSON_NAME) throw new DomainError('invalid', 'name_too_long', `a name has at most ${MAX_PERSON_NAME} characters`);
  return trimmed;
}

function checkFaceIds(faceIds: readonly string[]): string[] {
  const unique = [...new Set(faceIds)];
  if (unique.length > MAX_FACES_PER_COMMAND) throw new DomainError('invalid', 'too_many_faces', `at most ${MAX_FACES_PER_COMMAND} faces per request`);
  return unique;
}

const later = (a: Position | null, b: Position | undefined): Position | null => b ?? a;

export class PeopleService {
  constructor(
    private readonly store: EventStore,
    private readonly lookups: PeopleLookups,
  ) {}

  /** The owner's consent epoch (withdrawals so far); 409 consent_required without the consent. */
  private async epoch(ownerId: string): Promise<number> {
    return (await requireConsent(this.store, ownerId, 'face_recognition')).withdrawals;
  }

  /** The owner's person (any status), or 404; of an earlier consent epoch: 404. */
  private async load(ownerId: string, personId: string, epoch: number): Promise<Exclude<PersonState, { status: 'none' }>> {
    const { state } = await loadStream(this.store, personDecider, personStream(personId));
    if (state.status === 'none' || state.ownerId !== ownerId || state.epoch !== epoch) throw notFound();
    return state;
  }

  private async run(personId: string, command: PersonCommand, ctx: CommandContext): Promise<Position | undefined> {
    return (await handleCommand(this.store, personDecider, personStream(personId), command, ctx)).position;
  }

  /** The faces, all the owner's (404 face_not_found otherwise), released from whichever other person holds them. */
  private async takeFaces(ownerId: string, faceIds: readonly string[], to: string, ctx: CommandContext): Promise<{ faces: PersonFace[]; position: Position | null }> {
    const ids = checkFaceIds(faceIds);
    const known = await this.lookups.facesOf(ownerId, ids);
    const missing = ids.find((id) => !known.has(id));
    if (missing) throw new DomainError('not_found', 'face_not_found', `no face ${missing} in your gallery`);
    let position: Position | null = null;
    const holders = new Map<string, string[]>();
    for (const [faceId, personId] of await this.lookups.personsOf(ids)) {
      if (personId === to) continue;
      holders.set(personId, [...(holders.get(personId) ?? []), faceId]);
    }
    for (const [personId, held] of holders) position = later(position, await this.run(personId, { type: 'ReleaseFaces', ownerId, faceIds: held, reason: 'moved', to }, ctx));
    return { faces: ids.map((faceId) => ({ faceId, imageId: known.get(faceId)!.imageId })), position };
  }

  async create(ownerId: string, input: { name: string | null; faceIds: readonly string[] }, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    const name = checkName(input.name);
    const personId = randomUUID();
    await this.ensureKey(ownerId); // the name field is sealed, null included
    const { faces, position } = await this.takeFaces(ownerId, input.faceIds, personId, ctx);
    const created = await this.run(personId, { type: 'CreatePerson', personId, ownerId, name, faces, by: 'user', epoch }, ctx);
    return { personId, position: later(position, created) };
  }

  /** The owner's face_recognition key, which seals names (created once, under the consent in force; the key store refuses one for a consent withdrawn meanwhile). */
  private async ensureKey(ownerId: string): Promise<void> {
    const check = await requireConsent(this.store, ownerId, 'face_recognition');
    await this.store.dataKeys?.ensureKey({ purpose: 'face_recognition', subjectId: ownerId, consentWithdrawals: check.withdrawals });
  }

  async rename(ownerId: string, personId: string, rawName: string | null, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    await this.load(ownerId, personId, epoch);
    const name = checkName(rawName);
    await this.ensureKey(ownerId);
    return { personId, position: (await this.run(personId, { type: 'RenamePerson', ownerId, name }, ctx)) ?? null };
  }

  async assign(ownerId: string, personId: string, faceIds: readonly string[], ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    active(await this.load(ownerId, personId, epoch), ownerId);
    const { faces, position } = await this.takeFaces(ownerId, faceIds, personId, ctx);
    return { personId, position: later(position, await this.run(personId, { type: 'AssignFaces', ownerId, faces, by: 'user' }, ctx)) };
  }

  async unassign(ownerId: string, personId: string, faceId: string, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    await this.load(ownerId, personId, epoch);
    return { personId, position: (await this.run(personId, { type: 'ReleaseFaces', ownerId, faceIds: [faceId], reason: 'user' }, ctx)) ?? null };
  }

  /** Merges `fromId` into `personId`: `fromId` hands over its faces and ends (until the merge is undone). */
  async merge(ownerId: string, personId: string, fromId: string, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    active(await this.load(ownerId, personId, epoch), ownerId);
    if (fromId === personId) throw new DomainError('conflict', 'merge_into_itself', 'a person cannot be merged into itself');
    const from = await this.load(ownerId, fromId, epoch);
    let position: Position | null = null;
    if (!(from.status === 'merged' && from.mergedInto === personId)) {
      position = later(position, await this.run(fromId, { type: 'MergeInto', ownerId, into: personId }, ctx));
    }
    // Re-read: the faces it handed over (also when a first attempt stopped after that append).
    const released = await this.load(ownerId, fromId, epoch);
    return { personId, position: later(position, await this.run(personId, { type: 'Absorb', ownerId, from: fromId, faces: [...released.mergedFaces] }, ctx)) };
  }

  async delete(ownerId: string, personId: string, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    const person = await this.load(ownerId, personId, epoch);
    if (person.status === 'deleted') return { personId, position: null };
    return { personId, position: (await this.run(personId, { type: 'DeletePerson', ownerId }, ctx)) ?? null };
  }

  /**
   * Undoes the newest step (or every step after `toRevision`). Faces that come back must not be
   * someone else's now; faces a step moved to another person are taken back from it first; undoing
   * a merge gives the merged person its faces back.
   */
  async undo(ownerId: string, personId: string, toRevision: number | undefined, ctx: CommandContext): Promise<PeopleResult> {
    const epoch = await this.epoch(ownerId);
    const person = await this.load(ownerId, personId, epoch);
    const steps = toRevision === undefined ? person.steps.slice(-1) : person.steps.filter((s) => s.revision > toRevision);
    let position: Position | null = null;
    // Faces a step moved elsewhere: back from there first.
    for (const step of steps) {
      if (step.kind !== 'released' || step.to === undefined) continue;
      position = later(position, await this.run(step.to, { type: 'ReleaseFaces', ownerId, faceIds: (step.faces ?? []).map((f) => f.faceId), reason: 'moved', to: personId }, ctx).catch(ignoreGone));
    }
    const returning = steps.flatMap((s) => (s.kind === 'released' || s.kind === 'deleted' ? (s.faces ?? []).map((f) => f.faceId) : []));
    const owners = await this.lookups.personsOf(returning);
    const available = new Set(returning.filter((id) => (owners.get(id) ?? personId) === personId || steps.some((s) => s.to !== undefined && s.to === owners.get(id))));
    const result = await handleCommand(this.store, personDecider, personStream(personId), { type: 'Undo', ownerId, ...(toRevision === undefined ? {} : { toRevision }), available }, ctx);
    position = later(position, result.position);
    // A merge undone here: the merged person gets its faces back.
    for (const e of result.events) {
      if (e.type === 'FacesReleased' && e.data.reason === 'undo' && e.data.to !== undefined) {
        const back = person.steps.find((s) => s.revision === e.data.undoes)?.faces ?? [];
        position = later(position, await this.run(e.data.to, { type: 'Restore', ownerId, from: personId, faces: back.filter((f) => e.data.faceIds.includes(f.faceId)) }, ctx));
      }
    }
    return { personId, position };
  }
}

/** A person gone meanwhile (deleted, merged) cannot give faces back: skip it. */
function ignoreGone(err: unknown): undefined {
  if (err instanceof DomainError && (err.code === 'person_not_found' || err.code === 'person_merged')) return undefined;
  throw err;
}
