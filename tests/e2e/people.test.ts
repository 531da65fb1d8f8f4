// People end to end (issue 17): create, rename, add and take out faces, split, merge and undo, delete
// and undo, history naming every step and its author; others' people are 404; bad and conflicting
// commands are 4xx and write nothing; search answers each match's person; a rebuild of the people
// read model equals the live one; a face_recognition withdrawal ends the owner's people and their
// names. Analyses are recorded directly (synthetic faces: this file is about curation).

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceIdOf } from '../../src/domain/images/face-id.js';
import { comparePositions } from '../../src/eventstore/position.js';
import type { Position } from '../../src/eventstore/types.js';
import { verifyProjection } from '../../src/projections/rebuild.js';
import { peopleProjection } from '../../src/projections/people/people.js';
import { eventually } from '../../support/eventually.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consentOverHttp, registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { syntheticFace, uploadAnalysed as uploadWith } from '../support/synthetic-analysis.js';
import { visibleHead } from '../support/visible-head.js';

interface PersonBody {
  personId: string;
  name: string | null;
  status: string;
  faceCount: number;
  revision: string;
  faces: { faceId: string; imageId: string; by: string }[];
}

let t: TestApp;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
const model = { name: 'test-model', version: '1', sha256: 'b'.repeat(64) };
/** Alice's two images, three faces each: their face ids. */
const faces: string[][] = [];
const images: string[] = [];

const synthetic = (seed: number) => syntheticFace(4 + seed, Array.from({ length: 128 }, (_, k) => Math.sin(seed * 7 + k) / 10));
const uploadAnalysed = (token: string, seed: number) => uploadWith(t, token, seed, model, [0, 1, 2].map((k) => synthetic(seed * 10 + k)));

type Json = Record<string, unknown>;
const as = (token: string, method: string, path: string, body?: unknown) => call<Json>(t.baseUrl, method, path, { token, ...(body === undefined ? {} : { body }) });

async function person(token: string, personId: string, position: string | null): Promise<PersonBody> {
  const res = await call<PersonBody>(t.baseUrl, 'GET', `/v1/people/${personId}${position ? `?consistentWith=${position}` : ''}`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

const faceSet = (p: PersonBody) => p.faces.map((f) => f.faceId).sort();

beforeAll(async () => {
  t = await startTestApp('people', {}, {}, { workers: true });
  const password = 'a perfectly fine password';
  alice = await registerConsenting(t.baseUrl, { email: 'alice.people@example.com', password });
  bob = await registerConsenting(t.baseUrl, { email: 'bob.people@example.com', password });
  for (const u of [alice, bob]) await consentOverHttp(t.baseUrl, u.token, 'face_recognition');
  let last: Position | undefined;
  for (const seed of [1, 2]) {
    const { imageId, position } = await uploadAnalysed(alice.token, seed);
    images.push(imageId);
    faces.push([0, 1, 2].map((i) => faceIdOf(imageId, model.sha256, i)));
    last = position;
  }
  // The face index has them before people are made of them.
  expect(await t.runtime.checkpoints.waitFor(['face-index', 'people'], last!, 20_000)).toBe(true);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('people', () => {
  it('creates, renames, adds and takes out faces, and shows every step with its author', async () => {
    const created = await as(alice.token, 'POST', '/v1/people', { name: '  Ada  ', faceIds: [faces[0]![0], faces[1]![0]] });
    expect(created.status).toBe(201);
    const id = created.body.personId as string;
    let p = await person(alice.token, id, created.body.position as string);
    expect(p).toMatchObject({ name: 'Ada', status: 'active', faceCount: 2 });
    expect(faceSet(p)).toEqual([faces[0]![0], faces[1]![0]].sort());

    const renamed = await as(alice.token, 'PATCH', `/v1/people/${id}`, { name: 'Ada Lovelace' });
    expect(renamed.status).toBe(200);
    const added = await as(alice.token, 'POST', `/v1/people/${id}/faces`, { faceIds: [faces[0]![1]] });
    const out = await as(alice.token, 'DELETE', `/v1/people/${id}/faces/${faces[1]![0]}`);
    expect([added.status, out.status]).toEqual([200, 200]);
    p = await person(alice.token, id, out.body.position as string);
    expect(p).toMatchObject({ name: 'Ada Lovelace', faceCount: 2 });
    expect(faceSet(p)).toEqual([faces[0]![0], faces[0]![1]].sort());

    const history = await call<{ items: { type: string; by: string; actor: { id: string }; revision: string; name?: string; undoes: string | null }[] }>(t.baseUrl, 'GET', `/v1/people/${id}/history`, { token: alice.token });
    expect(history.body.items.map((h) => [h.type, h.by, h.actor.id, h.revision])).toEqual([
      ['PersonCreated', 'user', alice.userId, '0'],
      ['PersonRenamed', 'user', alice.userId, '1'],
      ['FacesAssigned', 'user', alice.userId, '2'],
      ['FacesReleased', 'user', alice.userId, '3'],
    ]);
    expect(history.body.items[1]!.name).toBe('Ada Lovelace');

    // Undo, step by step: the face comes back, then leaves, then the old name returns. The first
    // as a client without a body sends it (curl -X POST).
    const bare = await fetch(`${t.baseUrl}/v1/people/${id}/undo`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } });
    expect(bare.status).toBe(200);
    await as(alice.token, 'POST', `/v1/people/${id}/undo`, {});
    const third = await as(alice.token, 'POST', `/v1/people/${id}/undo`, {});
    p = await person(alice.token, id, third.body.position as string);
    expect(p.name).toBe('Ada');
    expect(faceSet(p)).toEqual([faces[0]![0], faces[1]![0]].sort());

    // 1:1 against a person: the distance to its nearest face.
    type Verified = { distance: number; match: boolean; faces: { faceId: string }[] };
    const probe = faces[0]![2]!;
    const pairs = await Promise.all(p.faces.map((f) => call<Verified>(t.baseUrl, 'POST', '/v1/faces/verify', { token: alice.token, body: { faceIds: [probe, f.faceId] } })));
    const nearest = pairs.map((r) => r.body).sort((a, b) => a.distance - b.distance)[0]!;
    const vp = await call<Verified>(t.baseUrl, 'POST', '/v1/faces/verify', { token: alice.token, body: { faceId: probe, personId: id, threshold: 2 } });
    expect(vp.status).toBe(200);
    expect(vp.body).toMatchObject({ distance: nearest.distance, match: true, faces: [{ faceId: probe }, { faceId: nearest.faces[1]!.faceId }] });
    const unknownPerson = await call<{ code: string }>(t.baseUrl, 'POST', '/v1/faces/verify', { token: alice.token, body: { faceId: probe, personId: randomUUID() } });
    expect([unknownPerson.status, unknownPerson.body.code]).toEqual([404, 'person_not_found']);
    const both = await call<{ code: string }>(t.baseUrl, 'POST', '/v1/faces/verify', { token: alice.token, body: { faceId: probe, personId: id, faceIds: [probe, probe] } });
    expect([both.status, both.body.code]).toEqual([400, 'validation_failed']);
  });

  it('merges two people and undoes the merge, restoring both exactly', async () => {
    const a = await as(alice.token, 'POST', '/v1/people', { name: 'Grace', faceIds: [faces[0]![2]] });
    const b = await as(alice.token, 'POST', '/v1/people', { name: 'Grace H.', faceIds: [faces[1]![2], faces[1]![1]] });
    const [aId, bId] = [a.body.personId as string, b.body.personId as string];
    const beforeA = await person(alice.token, aId, b.body.position as string);
    const beforeB = await person(alice.token, bId, null);

    const merged = await as(alice.token, 'POST', `/v1/people/${aId}/merge`, { personId: bId });
    expect(merged.status).toBe(200);
    const afterA = await person(alice.token, aId, merged.body.position as string);
    expect(faceSet(afterA)).toEqual([faces[0]![2], faces[1]![2], faces[1]![1]].sort());
    expect((await person(alice.token, bId, null)).status).toBe('merged');
    // The merged person takes no commands; its faces now belong to the other.
    expect((await as(alice.token, 'PATCH', `/v1/people/${bId}`, { name: 'x' })).body.code).toBe('person_merged');

    const undone = await as(alice.token, 'POST', `/v1/people/${aId}/undo`, {});
    expect(undone.status).toBe(200);
    const restoredA = await person(alice.token, aId, undone.body.position as string);
    const restoredB = await person(alice.token, bId, null);
    const comparable = (p: PersonBody) => ({ name: p.name, status: p.status, faceCount: p.faceCount, faces: faceSet(p) });
    expect(comparable(restoredA)).toEqual(comparable(beforeA));
    expect(comparable(restoredB)).toEqual(comparable(beforeB));
  });

  it('moves a face that was another person’s (a split) and undoes it; deletes and undoes the deletion', async () => {
    const a = await as(alice.token, 'POST', '/v1/people', { name: null, faceIds: [faces[1]![1]] });
    const aId = a.body.personId as string;
    // faces[1][1] was Grace H.'s: now it is only this one's.
    const search = await call<{ matches: { faceId: string; personId: string | null }[] }>(t.baseUrl, 'POST', '/v1/faces/search', { token: alice.token, body: { faceId: faces[0]![0], k: 10, threshold: 2, consistentWith: a.body.position } });
    expect(search.body.matches.find((m) => m.faceId === faces[1]![1])?.personId).toBe(aId);

    const deleted = await as(alice.token, 'DELETE', `/v1/people/${aId}`);
    expect((await person(alice.token, aId, deleted.body.position as string)).status).toBe('deleted');
    const list = await call<{ items: { personId: string }[] }>(t.baseUrl, 'GET', `/v1/people?consistentWith=${deleted.body.position as string}`, { token: alice.token });
    expect(list.body.items.map((p) => p.personId)).not.toContain(aId);
    const back = await as(alice.token, 'POST', `/v1/people/${aId}/undo`, {});
    const restored = await person(alice.token, aId, back.body.position as string);
    expect(restored).toMatchObject({ status: 'active', faceCount: 1 });
  });

  it('refuses bad, conflicting and foreign commands with 4xx and writes nothing', async () => {
    const mine = await as(alice.token, 'POST', '/v1/people', { name: 'Mine', faceIds: [faces[0]![0]] });
    const id = mine.body.personId as string;
    const head = await visibleHead(t.runtime.eventStore);
    const cases: [string, { token: string; method: string; path: string; body?: unknown }, number, string][] = [
      ["another user's person", { token: bob.token, method: 'GET', path: `/v1/people/${id}` }, 404, 'person_not_found'],
      ["renaming another user's person", { token: bob.token, method: 'PATCH', path: `/v1/people/${id}`, body: { name: 'x' } }, 404, 'person_not_found'],
      ["another user's face", { token: bob.token, method: 'POST', path: '/v1/people', body: { faceIds: [faces[0]![0]] } }, 404, 'face_not_found'],
      ['an unknown person', { token: alice.token, method: 'POST', path: `/v1/people/${randomUUID()}/faces`, body: { faceIds: [faces[0]![0]] } }, 404, 'person_not_found'],
      ['no faces', { token: alice.token, method: 'POST', path: '/v1/people', body: { name: 'x', faceIds: [] } }, 400, 'validation_failed'],
      ['a name too long', { token: alice.token, method: 'PATCH', path: `/v1/people/${id}`, body: { name: 'x'.repeat(201) } }, 400, 'name_too_long'],
      ['merging into itself', { token: alice.token, method: 'POST', path: `/v1/people/${id}/merge`, body: { personId: id } }, 409, 'merge_into_itself'],
      ['a face not in the person', { token: alice.token, method: 'DELETE', path: `/v1/people/${id}/faces/${faces[1]![0]}` }, 404, 'face_not_in_person'],
      ['a revision that does not exist', { token: alice.token, method: 'POST', path: `/v1/people/${id}/undo`, body: { toRevision: 99 } }, 400, 'invalid_revision'],
      ['a revision that is not one', { token: alice.token, method: 'POST', path: `/v1/people/${id}/undo`, body: { toRevision: -1 } }, 400, 'validation_failed'],
      ['a revision in the query that is not one', { token: alice.token, method: 'POST', path: `/v1/people/${id}/undo?toRevision=x` }, 400, 'validation_failed'],
      ['an unknown field', { token: alice.token, method: 'POST', path: `/v1/people/${id}/undo`, body: { to: 1 } }, 400, 'validation_failed'],
    ];
    for (const [name, req, status, code] of cases) {
      const res = await call<{ code: string }>(t.baseUrl, req.method, req.path, { token: req.token, ...(req.body === undefined ? {} : { body: req.body }) });
      expect([res.status, res.body.code], name).toEqual([status, code]);
    }
    // Nothing but the next marker after the first.
    const after = await visibleHead(t.runtime.eventStore);
    let between = 0;
    for await (const e of t.runtime.eventStore.readAll({ from: head, to: after })) if (e.position !== after && comparePositions(e.position, after) < 0) between++;
    expect(between).toBe(0);
  });

  it('a rebuild of the people read model equals the live one', async () => {
    expect(await t.runtime.checkpoints.waitFor(['people'], await visibleHead(t.runtime.eventStore), 20_000)).toBe(true);
    const result = await verifyProjection({ pool: t.runtime.pool, store: t.runtime.eventStore }, peopleProjection);
    expect(result.tables.map((x) => [x.table, x.ok, x.differences])).toEqual([
      ['rm.people_owners', true, []],
      ['rm.people', true, []],
      ['rm.person_faces', true, []],
      ['rm.face_rejections', true, []],
    ]);
    expect(result.tables[2]!.live.rows).toBeGreaterThan(3);
  });

  it('a face_recognition withdrawal ends the owner’s people and their names', async () => {
    const carol = await registerConsenting(t.baseUrl, { email: 'carol.people@example.com', password: 'a perfectly fine password' });
    await consentOverHttp(t.baseUrl, carol.token, 'face_recognition');
    const { imageId } = await uploadAnalysed(carol.token, 5);
    const face = faceIdOf(imageId, model.sha256, 0);
    await eventually(async () => (await as(carol.token, 'POST', '/v1/people', { name: 'Carol’s friend', faceIds: [face] })).status === 201, 'the face is indexed');
    const withdrawn = await call<{ position: string }>(t.baseUrl, 'DELETE', '/v1/me/consents/face_recognition', { token: carol.token });
    expect(withdrawn.status).toBeLessThan(300);
    expect(await t.runtime.checkpoints.waitFor(['people'], await visibleHead(t.runtime.eventStore), 20_000)).toBe(true);
    const rows = await t.runtime.pool.query<{ person_id: string; status: string; epoch: number }>('select person_id, status, epoch from rm.people where owner_id = $1', [carol.userId]);
    expect(rows.rows).toEqual([]);
    expect((await as(carol.token, 'GET', '/v1/people')).body.code).toBe('consent_required');
    // The name in the log can no longer be opened once the erasure has shredded the key.
    await eventually(async () => {
      for await (const e of t.runtime.eventStore.readAll({ filter: { eventTypes: ['PersonCreated'] } })) {
        if ((e.data as { ownerId: string }).ownerId === carol.userId) return JSON.stringify((e.data as { name: unknown }).name) === '{"$erased":true}';
      }
      return false;
    }, 'the name is erased');
  });
});
