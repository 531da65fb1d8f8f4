// Automatic people (issue 17 item 3) over synthetic analyses (descriptors drawn around two
// identities, closer than the threshold within one, farther across): the third photo showing both
// makes two people of three faces each, one per photo; a later photo joins them; a face a user took
// out stays out when the reactor replays every analysis from the start; the replay records nothing
// twice; an owner without face_recognition consent gets no people; the read model rebuilt equals
// the live one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoPeople } from '../../src/commands/people/auto-people.js';
import { faceIdOf } from '../../src/domain/images/face-id.js';
import type { Position } from '../../src/eventstore/types.js';
import { autoPeopleRequests } from '../../src/projections/people/auto-people-requests.js';
import { peopleProjection } from '../../src/projections/people/people.js';
import { reactorConsumer } from '../../src/projections/reactor.js';
import { verifyProjection } from '../../src/projections/rebuild.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consentOverHttp, registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';
import { syntheticFace, uploadAnalysed } from '../support/synthetic-analysis.js';
import { visibleHead } from '../support/visible-head.js';

let t: TestApp;
let reactor: ProjectorRunner | undefined;
let alice: { userId: string; token: string };
let dave: { userId: string; token: string };
const model = { name: 'test-model', version: '1', sha256: 'c'.repeat(64) };
const worker = { correlationId: 'auto-people-test', actor: { id: 'analysis-worker', kind: 'system' as const } };

/** Identity `who`'s face in photo `photo`: its centre plus a small, photo-specific offset (distance ~0.1 within, ~1 across). */
const face = (who: number, photo: number, slot: number) =>
  syntheticFace(10 + slot * 30, Array.from({ length: 128 }, (_, k) => (who === 0 ? 0.06 : -0.06) * Math.cos(k * (who + 1)) + 0.006 * Math.sin(photo * 13 + k * 7)));

const photo = (token: string, n: number, who: number[]) => uploadAnalysed(t, token, n, model, who.map((w, slot) => face(w, n, slot)));

function startReactor(): void {
  const auto = new AutoPeople({ store: t.runtime.eventStore, ...t.runtime.recognition, threshold: t.runtime.config.recognition.matchThreshold, minFaces: 3 });
  const consumer = reactorConsumer(autoPeopleRequests, { store: t.runtime.eventStore, sink: { enqueue: async (jobs) => { await auto.onAnalyses(jobs.map((j) => j.data.analysis)); } } });
  reactor = new ProjectorRunner(t.runtime.config.databaseUrl, t.runtime.eventStore, consumer, testLogger, { idleCheckpointMs: 30, errorBackoffMs: 50 }).start();
}

/** Waits until the reactor, and then the people read model, have applied everything appended so far. */
async function settled(): Promise<Position> {
  expect(await t.runtime.checkpoints.waitFor([autoPeopleRequests.name], await visibleHead(t.runtime.eventStore), 20_000)).toBe(true);
  // The reactor appended before its checkpoint moved: a second marker is after all of it.
  const after = await visibleHead(t.runtime.eventStore);
  expect(await t.runtime.checkpoints.waitFor(['people'], after, 20_000)).toBe(true);
  return after;
}

async function peopleOf(userId: string): Promise<{ person_id: string; faces: string[] }[]> {
  const { rows } = await t.runtime.pool.query<{ person_id: string; faces: string[] }>(
    `select p.person_id, array_agg(f.face_id::text order by f.face_id) as faces from rm.people p join rm.person_faces f using (person_id)
      where p.owner_id = $1 and p.status = 'active' group by p.person_id order by min(f.face_id::text)`,
    [userId],
  );
  return rows;
}

beforeAll(async () => {
  t = await startTestApp('auto_people');
  const password = 'a perfectly fine password';
  alice = await registerConsenting(t.baseUrl, { email: 'alice.auto@example.com', password });
  dave = await registerConsenting(t.baseUrl, { email: 'dave.auto@example.com', password });
  await consentOverHttp(t.baseUrl, alice.token, 'face_recognition');
  startReactor();
}, 60_000);

afterAll(async () => {
  await reactor?.stop();
  await t?.stop();
});

describe('automatic people', () => {
  const photos: string[] = [];

  it('makes a person once three photos show the same face, and adds later photos to it', async () => {
    for (const n of [1, 2]) photos.push((await photo(alice.token, n, [0, 1])).imageId);
    await settled();
    expect(await peopleOf(alice.userId)).toEqual([]); // two photos are not enough
    photos.push((await photo(alice.token, 3, [1, 0])).imageId);
    await settled();
    const people = await peopleOf(alice.userId);
    expect(people).toHaveLength(2);
    const expected = [
      [faceIdOf(photos[0]!, model.sha256, 0), faceIdOf(photos[1]!, model.sha256, 0), faceIdOf(photos[2]!, model.sha256, 1)].sort(),
      [faceIdOf(photos[0]!, model.sha256, 1), faceIdOf(photos[1]!, model.sha256, 1), faceIdOf(photos[2]!, model.sha256, 0)].sort(),
    ];
    expect(people.map((p) => p.faces).sort()).toEqual(expected.sort());

    photos.push((await photo(alice.token, 4, [0])).imageId);
    await settled();
    const later = await peopleOf(alice.userId);
    const withFour = later.find((p) => p.faces.includes(faceIdOf(photos[0]!, model.sha256, 0)))!;
    expect(withFour.faces).toContain(faceIdOf(photos[3]!, model.sha256, 0));
    const history = await call<{ items: { type: string; by: string; actor: { id: string } }[] }>(t.baseUrl, 'GET', `/v1/people/${withFour.person_id}/history`, { token: alice.token });
    expect(history.body.items.map((h) => [h.type, h.by, h.actor.id])).toEqual([
      ['PersonCreated', 'auto', 'people-reactor'],
      ['FacesAssigned', 'auto', 'people-reactor'],
    ]);
  });

  it("keeps a user's decision: a face taken out stays out when the reactor replays everything, and nothing is recorded twice", async () => {
    const before = await peopleOf(alice.userId);
    const person = before.find((p) => p.faces.includes(faceIdOf(photos[3]!, model.sha256, 0)))!;
    const out = await call(t.baseUrl, 'DELETE', `/v1/people/${person.person_id}/faces/${faceIdOf(photos[3]!, model.sha256, 0)}`, { token: alice.token });
    expect(out.status).toBe(200);
    await settled();
    const countPeopleEvents = async () => {
      let n = 0;
      for await (const _e of t.runtime.eventStore.readAll({ filter: { streamPrefixes: ['person-'] } })) n++;
      return n;
    };
    const events = await countPeopleEvents();

    // Replay: the reactor's checkpoint back to the start.
    await reactor!.stop();
    await t.runtime.pool.query('delete from rm.checkpoints where consumer = $1', [autoPeopleRequests.name]);
    startReactor();
    await settled();
    expect(await countPeopleEvents()).toBe(events);
    const after = await peopleOf(alice.userId);
    expect(after.find((p) => p.person_id === person.person_id)!.faces).not.toContain(faceIdOf(photos[3]!, model.sha256, 0));
    expect(after).toHaveLength(2);
  });

  it('keeps the people when an image is analysed again by another model: its new faces take the old ones’ places', async () => {
    const newModel = { name: 'test-model', version: '2', sha256: 'e'.repeat(64) };
    const imageId = photos[0]!;
    const before = await peopleOf(alice.userId);
    const holder = (faceId: string) => before.find((p) => p.faces.includes(faceId))?.person_id;
    const old = [0, 1].map((i) => faceIdOf(imageId, model.sha256, i));
    expect(old.map(holder).every((p) => p !== undefined)).toBe(true);
    const re = await call(t.baseUrl, 'POST', `/v1/images/${imageId}/reanalyze`, { token: alice.token });
    expect(re.status).toBe(202);
    let requestId: string | undefined;
    for await (const e of t.runtime.eventStore.readStream(`image-${imageId}`)) if (e.type === 'ImageAnalysisRequested') requestId = e.id;
    await t.images.recordAnalysis(imageId, { requestId: requestId!, model: newModel, faces: [0, 1].map((who) => face(who, 1, who)), durationMs: 5 }, worker);
    await settled();
    const after = await peopleOf(alice.userId);
    for (const i of [0, 1]) {
      const person = after.find((p) => p.person_id === holder(old[i]!))!;
      expect(person.faces).toContain(faceIdOf(imageId, newModel.sha256, i));
      expect(person.faces).not.toContain(old[i]);
    }
    const history = await call<{ items: { type: string; by: string; reason?: string }[] }>(t.baseUrl, 'GET', `/v1/people/${holder(old[0]!)!}/history`, { token: alice.token });
    expect(history.body.items.slice(-2).map((h) => [h.type, h.by, h.reason ?? null])).toEqual([
      ['FacesReleased', 'auto', 'reembedded'],
      ['FacesAssigned', 'auto', null],
    ]);
  });

  it('gives no people to an owner without face_recognition consent', async () => {
    for (const n of [11, 12, 13]) await photo(dave.token, n, [0, 1]);
    await settled();
    expect(await peopleOf(dave.userId)).toEqual([]);
  });

  it('a rebuild of the people read model equals the live one', async () => {
    await settled();
    const result = await verifyProjection({ pool: t.runtime.pool, store: t.runtime.eventStore }, peopleProjection);
    expect(result.tables.every((x) => x.ok)).toBe(true);
    expect(result.tables.find((x) => x.table === 'rm.face_rejections')!.live.rows).toBe(1);
  });
});

