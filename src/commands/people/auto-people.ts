// Automatic people (issue 17 item 3): for each new analysis, every face not in a person yet goes to
// the person of its nearest face within the threshold — unless that person already has a face of
// the same photo (two faces of one photo are two people) — or, when at least `minFaces` faces with
// no person (this one included, from different photos) lie within the threshold of each other's
// seed, they become a new, unnamed person. A face a user took out of a person is never touched.
// A re-analysis with another model re-embeds: each new face takes the place of the old face it
// overlaps (box IoU ≥ 0.5) in that face's person.
//
// Deterministic on replay: a person made here is named after the event and the face that caused
// it (UUID v5), and every command is idempotent (a face already in the person, a person created
// already) — so a reactor that runs a batch twice records nothing twice. It never overrides a
// user: it only adds faces that are in no person and not rejected, and never moves a face.

import type { ImageEvent, FaceRecord } from '../../domain/images/image-events.js';
import { faceIdOf } from '../../domain/images/face-id.js';
import { nameBasedUuid } from '../../domain/name-based-id.js';
import { personStream, type PersonFace } from '../../domain/people/person-events.js';
import { personDecider, type PersonCommand } from '../../domain/people/person.js';
import { upcast } from '../../domain/upcast.js';
import type { EventStore, Position, RecordedEvent } from '../../eventstore/types.js';
import { handleCommand } from '../command-handler.js';
import type { CommandContext } from '../context.js';
import { consentFor } from '../identity/consents.js';
import type { PeopleLookups } from './people-service.js';

const AUTO_NAMESPACE = '7d3e61c2a9f84b0e9c5d2a1b6e4f8c30';
/** The id of the person made from face `index` of the analysis `eventId`. */
export const autoPersonId = (eventId: string, index: number) => nameBasedUuid(AUTO_NAMESPACE, `${eventId}\n${index}`);

/** Neighbours in an owner's gallery (the face index), by model. */
export interface FaceNeighbours {
  nearestEach(ownerId: string, modelSha256: string, descriptors: readonly Float32Array[], k: number): Promise<{ faceId: string; imageId: string; distance: number }[][]>;
}

export interface AutoPeopleDeps {
  store: EventStore;
  neighbours: FaceNeighbours;
  lookups: PeopleLookups & {
    rejectedOf(faceIds: readonly string[]): Promise<Set<string>>;
    personFacesOfImage(imageId: string): Promise<{ faceId: string; personId: string }[]>;
  };
  /** Resolves once the face index and the people read model have applied `position`. */
  caughtUp(position: Position): Promise<void>;
  /** Largest distance to join a person or form one (RECOGNITION_MATCH_THRESHOLD). */
  threshold: number;
  /** Faces with no person that make a new one together (PEOPLE_MIN_FACES; Immich uses 3). */
  minFaces: number;
}

/** Neighbours looked at per new face. */
const NEIGHBOURS = 24;

const ctxFor = (event: RecordedEvent): CommandContext => ({ actor: { id: 'people-reactor', kind: 'system' }, correlationId: event.metadata.correlationId ?? event.id, causationId: event.id });

function iou(a: FaceRecord['box'], b: FaceRecord['box']): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

export class AutoPeople {
  constructor(private readonly deps: AutoPeopleDeps) {}

  private run(personId: string, command: PersonCommand, ctx: CommandContext) {
    return handleCommand(this.deps.store, personDecider, personStream(personId), command, ctx);
  }

  /** Assigns the faces of one ImageAnalyzed (as read from the store: faces opened). */
  async onAnalysis(analysis: RecordedEvent): Promise<void> {
    const imageId = analysis.stream.slice('image-'.length);
    const history: RecordedEvent[] = [];
    for await (const e of this.deps.store.readStream(analysis.stream)) history.push(e);
    const uploaded = history.find((e) => e.type === 'ImageUploaded');
    const latest = history.filter((e) => e.type === 'ImageAnalyzed').at(-1);
    // A newer analysis has its own turn; a deleted or erased image has no faces to give.
    if (!uploaded || latest?.id !== analysis.id || history.some((e) => e.type === 'ImageDeleted' || e.type === 'ImageErased' || e.type === 'ImageFacesErased')) return;
    const ownerId = (uploaded.data as { ownerId: string }).ownerId;
    const consent = await consentFor(this.deps.store, ownerId, 'face_recognition');
    if (!consent.given) return;
    const event = upcast(analysis) as ImageEvent;
    if (event.type !== 'ImageAnalyzed' || !Array.isArray(event.data.faces) || event.data.faces.length === 0) return;
    const faces = event.data.faces;
    const modelSha = event.data.model.sha256;
    const ids = faces.map((_f, i) => faceIdOf(imageId, modelSha, i));
    await this.deps.caughtUp(analysis.position);
    const ctx = ctxFor(analysis);

    const taken = new Set((await this.deps.lookups.personsOf(ids)).keys());
    const rejected = await this.deps.lookups.rejectedOf(ids);
    await this.reembed(history, analysis, imageId, ownerId, faces, ids, taken, ctx);

    const open = faces.map((f, i) => ({ f, i, id: ids[i]! })).filter((x) => !taken.has(x.id) && !rejected.has(x.id));
    if (open.length === 0) return;
    const near = await this.deps.neighbours.nearestEach(ownerId, modelSha, open.map((x) => Float32Array.from(x.f.descriptor)), NEIGHBOURS);
    const candidates = [...new Set(near.flat().map((m) => m.faceId))];
    const persons = await this.deps.lookups.personsOf(candidates);
    const candidateRejected = await this.deps.lookups.rejectedOf(candidates);
    /** Persons that hold a face of this photo (never given a second one of it). */
    const inPhoto = new Set([...(await this.deps.lookups.personsOf(ids)).values()]);
    /** Faces this call put into a person. */
    const placed = new Set<string>();
    for (const [n, x] of open.entries()) {
      const others = (near[n] ?? []).filter((m) => m.imageId !== imageId && m.distance <= this.deps.threshold && !candidateRejected.has(m.faceId));
      const joined = others.find((m) => persons.has(m.faceId) && !inPhoto.has(persons.get(m.faceId)!));
      if (joined) {
        const personId = persons.get(joined.faceId)!;
        await this.run(personId, { type: 'AssignFaces', ownerId, faces: [{ faceId: x.id, imageId, distance: joined.distance }], by: 'auto' }, ctx).catch(ignoreEnded);
        inPhoto.add(personId);
        placed.add(x.id);
        continue;
      }
      // A new person: this face and unplaced faces of other photos around it, one per photo.
      const group: PersonFace[] = [];
      const photos = new Set([imageId]);
      for (const m of others) {
        if (persons.has(m.faceId) || placed.has(m.faceId) || photos.has(m.imageId)) continue;
        group.push({ faceId: m.faceId, imageId: m.imageId, distance: m.distance });
        photos.add(m.imageId);
      }
      if (group.length + 1 < this.deps.minFaces) continue;
      const personId = autoPersonId(analysis.id, x.i);
      // The name (null) is sealed under the owner's face_recognition key: made under the consent read above.
      await this.deps.store.dataKeys?.ensureKey({ purpose: 'face_recognition', subjectId: ownerId, consentWithdrawals: consent.withdrawals });
      const members = [{ faceId: x.id, imageId, distance: 0 }, ...group];
      await this.run(personId, { type: 'CreatePerson', personId, ownerId, name: null, faces: members, by: 'auto', epoch: consent.withdrawals }, ctx);
      for (const m of members) {
        placed.add(m.faceId);
        persons.set(m.faceId, personId);
      }
      inPhoto.add(personId);
    }
  }

  /** A re-analysis by another model: its faces take the places of the old faces they overlap. */
  private async reembed(history: RecordedEvent[], analysis: RecordedEvent, imageId: string, ownerId: string, faces: FaceRecord[], ids: string[], taken: Set<string>, ctx: CommandContext): Promise<void> {
    const current = new Set(ids);
    const old = (await this.deps.lookups.personFacesOfImage(imageId)).filter((p) => !current.has(p.faceId));
    if (old.length === 0) return;
    const boxes = new Map<string, FaceRecord['box']>();
    for (const e of history) {
      if (e.type !== 'ImageAnalyzed' || e.id === analysis.id) continue;
      const d = upcast(e).data as { model: { sha256: string }; faces: unknown };
      if (!Array.isArray(d.faces)) continue;
      (d.faces as FaceRecord[]).forEach((f, i) => boxes.set(faceIdOf(imageId, d.model.sha256, i), f.box));
    }
    for (const o of old) {
      const box = boxes.get(o.faceId);
      if (!box) continue;
      const best = faces.map((f, i) => ({ i, overlap: iou(box, f.box) })).sort((a, b) => b.overlap - a.overlap)[0];
      if (!best || best.overlap < 0.5 || taken.has(ids[best.i]!)) continue;
      await this.run(o.personId, { type: 'ReleaseFaces', ownerId, faceIds: [o.faceId], reason: 'reembedded', by: 'auto' }, ctx).catch(ignoreEnded);
      await this.run(o.personId, { type: 'AssignFaces', ownerId, faces: [{ faceId: ids[best.i]!, imageId }], by: 'auto' }, ctx).catch(ignoreEnded);
      taken.add(ids[best.i]!);
    }
  }
}

/** A person merged or deleted meanwhile takes no faces: leave the face alone. */
function ignoreEnded(err: unknown): undefined {
  if (err instanceof Error && 'code' in err && (err.code === 'person_not_found' || err.code === 'person_merged')) return undefined;
  throw err;
}
