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
import { comparePositions } from '../../eventstore/position.js';
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
/** Appends to different person streams in flight at once. */
const APPENDS_IN_FLIGHT = 8;

const ctxFor = (event: RecordedEvent): CommandContext => ({ actor: { id: 'people-reactor', kind: 'system' }, correlationId: event.metadata.correlationId ?? event.id, causationId: event.id });

function iou(a: FaceRecord['box'], b: FaceRecord['box']): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

export class AutoPeople {
  constructor(private readonly deps: AutoPeopleDeps) {}

  /**
   * The newest position this reactor appended at (or the head when it started): the people read
   * model must have applied it before the next batch decides, or that batch would see faces it
   * placed as placeless and place them again.
   */
  private ownHead: Position | undefined;

  private async run(personId: string, command: PersonCommand, ctx: CommandContext) {
    // A person made here has an id just derived for it: its stream is almost always new.
    const result = await handleCommand(this.deps.store, personDecider, personStream(personId), command, ctx, { expectNew: command.type === 'CreatePerson' });
    if (result.position && (!this.ownHead || comparePositions(result.position, this.ownHead) > 0)) this.ownHead = result.position;
    return result;
  }

  /**
   * Assigns the faces of a batch of ImageAnalyzed (as read from the store: faces opened), in log order, deciding exactly as one at a time
   * would (a face may join a person an earlier analysis of the batch made), with the lookups and
   * the scan done once per batch and one append per person.
   */
  async onAnalyses(analyses: readonly RecordedEvent[]): Promise<void> {
    // Each owner's consent is read once per batch (a withdrawal between batches counts).
    const consents = new Map<string, Promise<{ given: boolean; withdrawals: number }>>();
    const consentOf = (ownerId: string) => {
      let c = consents.get(ownerId);
      if (!c) consents.set(ownerId, (c = consentFor(this.deps.store, ownerId, 'face_recognition')));
      return c;
    };
    const items = (await mapLimited(analyses, 8, (a) => this.prepare(a, consentOf))).filter((x): x is Prepared => x !== undefined);
    if (items.length === 0) return;
    this.ownHead ??= await this.deps.store.headPosition();
    const last = [...items.map((x) => x.analysis.position), ...(this.ownHead ? [this.ownHead] : [])].reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
    await this.deps.caughtUp(last);
    const allIds = items.flatMap((x) => x.ids);
    const taken = new Set((await this.deps.lookups.personsOf(allIds)).keys());
    const rejected = await this.deps.lookups.rejectedOf(allIds);
    /** Per photo, the people a re-embedding just gave one of its new faces (not in the read model yet). */
    const reembedded = new Map<string, string[]>();
    for (const x of items) reembedded.set(x.imageId, await this.reembed(x.history, x.analysis, x.imageId, x.ownerId, x.faces, x.ids, taken, x.ctx));

    // The open faces and their neighbours, one scan per owner and model.
    const open = items.flatMap((x) => x.faces.map((f, i) => ({ x, f, i, id: x.ids[i]! })).filter((o) => !taken.has(o.id) && !rejected.has(o.id)));
    if (open.length === 0) return;
    const near = new Map<string, { faceId: string; imageId: string; distance: number }[]>();
    const groups = new Map<string, typeof open>();
    for (const o of open) {
      const key = `${o.x.ownerId}\n${o.x.modelSha}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    for (const group of groups.values()) {
      const found = await this.deps.neighbours.nearestEach(group[0]!.x.ownerId, group[0]!.x.modelSha, group.map((o) => Float32Array.from(o.f.descriptor)), NEIGHBOURS);
      group.forEach((o, n) => near.set(o.id, found[n] ?? []));
    }
    const candidates = [...new Set([...near.values()].flat().map((m) => m.faceId))];
    const persons = await this.deps.lookups.personsOf([...new Set([...candidates, ...allIds])]);
    const candidateRejected = await this.deps.lookups.rejectedOf(candidates);
    /** Persons holding a face of each photo (never given a second one of it). */
    const inPhoto = new Map<string, Set<string>>();
    for (const x of items) inPhoto.set(x.imageId, new Set([...x.ids.flatMap((id) => (persons.has(id) ? [persons.get(id)!] : [])), ...(reembedded.get(x.imageId) ?? [])]));
    const placed = new Set<string>();
    const creations: { personId: string; x: Prepared; members: PersonFace[] }[] = [];
    const joins = new Map<string, { x: Prepared; faces: PersonFace[] }>();

    for (const o of open) {
      const photo = inPhoto.get(o.x.imageId)!;
      const others = (near.get(o.id) ?? []).filter((m) => m.imageId !== o.x.imageId && m.distance <= this.deps.threshold && !candidateRejected.has(m.faceId));
      const joined = others.find((m) => persons.has(m.faceId) && !photo.has(persons.get(m.faceId)!));
      if (joined) {
        const personId = persons.get(joined.faceId)!;
        const join = joins.get(personId) ?? { x: o.x, faces: [] };
        join.faces.push({ faceId: o.id, imageId: o.x.imageId, distance: joined.distance });
        joins.set(personId, join);
        persons.set(o.id, personId);
        photo.add(personId);
        placed.add(o.id);
        continue;
      }
      // A new person: this face and unplaced faces of other photos around it, one per photo.
      const group: PersonFace[] = [];
      const photos = new Set([o.x.imageId]);
      for (const m of others) {
        if (persons.has(m.faceId) || placed.has(m.faceId) || photos.has(m.imageId)) continue;
        group.push({ faceId: m.faceId, imageId: m.imageId, distance: m.distance });
        photos.add(m.imageId);
      }
      if (group.length + 1 < this.deps.minFaces) continue;
      const personId = autoPersonId(o.x.analysis.id, o.i);
      const members = [{ faceId: o.id, imageId: o.x.imageId, distance: 0 }, ...group];
      creations.push({ personId, x: o.x, members });
      for (const m of members) {
        placed.add(m.faceId);
        persons.set(m.faceId, personId);
        inPhoto.get(m.imageId)?.add(personId);
      }
    }

    // The names (null) are sealed under each owner's face_recognition key: made under the consent read above, once per owner.
    for (const [ownerId, epoch] of new Map(creations.map((c) => [c.x.ownerId, c.x.epoch]))) {
      await this.deps.store.dataKeys?.ensureKey({ purpose: 'face_recognition', subjectId: ownerId, consentWithdrawals: epoch });
    }
    // Different streams: a few appends at a time. Creations first (a join may name a person made here).
    await mapLimited(creations, APPENDS_IN_FLIGHT, (c) => this.run(c.personId, { type: 'CreatePerson', personId: c.personId, ownerId: c.x.ownerId, name: null, faces: c.members, by: 'auto', epoch: c.x.epoch }, c.x.ctx));
    await mapLimited([...joins], APPENDS_IN_FLIGHT, ([personId, join]) => this.run(personId, { type: 'AssignFaces', ownerId: join.x.ownerId, faces: join.faces, by: 'auto' }, join.x.ctx).catch(ignoreEnded));
  }

  /** One analysis as the batch needs it, or undefined when it has nothing to assign. */
  private async prepare(analysis: RecordedEvent, consentOf: (ownerId: string) => Promise<{ given: boolean; withdrawals: number }>): Promise<Prepared | undefined> {
    const imageId = analysis.stream.slice('image-'.length);
    const history: RecordedEvent[] = [];
    for await (const e of this.deps.store.readStream(analysis.stream)) history.push(e);
    const uploaded = history.find((e) => e.type === 'ImageUploaded');
    const latest = history.filter((e) => e.type === 'ImageAnalyzed').at(-1);
    // A newer analysis has its own turn; a deleted or erased image has no faces to give.
    if (!uploaded || latest?.id !== analysis.id || history.some((e) => e.type === 'ImageDeleted' || e.type === 'ImageErased' || e.type === 'ImageFacesErased')) return undefined;
    const ownerId = (uploaded.data as { ownerId: string }).ownerId;
    const consent = await consentOf(ownerId);
    if (!consent.given) return undefined;
    const event = upcast(analysis) as ImageEvent;
    if (event.type !== 'ImageAnalyzed' || !Array.isArray(event.data.faces) || event.data.faces.length === 0) return undefined;
    const modelSha = event.data.model.sha256;
    return { analysis, history, imageId, ownerId, epoch: consent.withdrawals, faces: event.data.faces, modelSha, ids: event.data.faces.map((_f, i) => faceIdOf(imageId, modelSha, i)), ctx: ctxFor(analysis) };
  }

  /** A re-analysis by another model: its faces take the places of the old faces they overlap. Returns the people that got one. */
  private async reembed(history: RecordedEvent[], analysis: RecordedEvent, imageId: string, ownerId: string, faces: FaceRecord[], ids: string[], taken: Set<string>, ctx: CommandContext): Promise<string[]> {
    const current = new Set(ids);
    const old = (await this.deps.lookups.personFacesOfImage(imageId)).filter((p) => !current.has(p.faceId));
    const people: string[] = [];
    if (old.length === 0) return people;
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
      const assigned = await this.run(o.personId, { type: 'AssignFaces', ownerId, faces: [{ faceId: ids[best.i]!, imageId }], by: 'auto' }, ctx).catch(ignoreEnded);
      taken.add(ids[best.i]!);
      if (assigned) people.push(o.personId);
    }
    return people;
  }
}

interface Prepared {
  analysis: RecordedEvent;
  history: RecordedEvent[];
  imageId: string;
  ownerId: string;
  /** The owner's face_recognition withdrawals: the epoch of the people made now. */
  epoch: number;
  faces: FaceRecord[];
  modelSha: string;
  ids: string[];
  ctx: CommandContext;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** A person merged or deleted meanwhile takes no faces: leave the face alone. */
function ignoreEnded(err: unknown): undefined {
  if (err instanceof Error && 'code' in err && (err.code === 'person_not_found' || err.code === 'person_merged')) return undefined;
  throw err;
}
