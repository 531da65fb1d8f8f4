// GraphQL people, person, searchFaces, personUpdated and myPeople (issue 17): the REST routes' answers and
// codes; a search is in the access log (the caller's own gallery included); a person's changes
// arrive on its subscription; another user's person is person_not_found; no consent is
// consent_required. Analyses are recorded directly (synthetic faces).

import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { accessRecordsOf, type BiometricDataAccessedData } from '../../src/domain/access/access-events.js';
import { faceIdOf } from '../../src/domain/images/face-id.js';
import type { Position } from '../../src/eventstore/types.js';
import { eventually } from '../../support/eventually.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consentOverHttp, registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { syntheticFace, uploadAnalysed } from '../support/synthetic-analysis.js';

let t: TestApp;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
const clients: Client[] = [];
const model = { name: 'test-model', version: '1', sha256: 'd'.repeat(64) };
let faces: string[] = [];
let imageId: string;
let personId: string;
let createdAt: string;

const synthetic = (seed: number) => syntheticFace(4 + seed * 20, Array.from({ length: 128 }, (_, k) => Math.cos(seed * 5 + k) / 12));

async function gql<T>(token: string, query: string): Promise<{ status: number; data?: T; errors?: { extensions?: { code?: string } }[] }> {
  const res = await call<{ data?: T; errors?: { extensions?: { code?: string } }[] }>(t.baseUrl, 'POST', '/graphql', { token, body: { query } });
  return { status: res.status, ...res.body };
}

beforeAll(async () => {
  t = await startTestApp('graphql_recognition');
  const password = 'a perfectly fine password';
  alice = await registerConsenting(t.baseUrl, { email: 'alice.gqlr@example.com', password });
  bob = await registerConsenting(t.baseUrl, { email: 'bob.gqlr@example.com', password });
  await consentOverHttp(t.baseUrl, alice.token, 'face_recognition');
  let position: Position;
  ({ imageId, position } = await uploadAnalysed(t, alice.token, 16, model, [0, 1, 2].map(synthetic)));
  expect(await t.runtime.checkpoints.waitFor(['face-index'], position, 20_000)).toBe(true);
  faces = [0, 1, 2].map((i) => faceIdOf(imageId, model.sha256, i));
  const created = await call<{ personId: string; position: string }>(t.baseUrl, 'POST', '/v1/people', { token: alice.token, body: { name: 'Lin', faceIds: [faces[0], faces[1]] } });
  personId = created.body.personId;
  createdAt = created.body.position;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
  await t?.stop();
});

describe('GraphQL recognition', () => {
  it('people and person answer what GET /v1/people answers', async () => {
    const rest = await call<Record<string, unknown>>(t.baseUrl, 'GET', `/v1/people/${personId}?consistentWith=${createdAt}`, { token: alice.token });
    expect(rest.status).toBe(200);
    expect((await gql<{ people: { items: unknown[] } }>(alice.token, `{ people(consistentWith: "${createdAt}") { items { personId } } }`)).data?.people.items).toEqual([{ personId }]);
    const res = await gql<{ person: Record<string, unknown> }>(alice.token, `{ person(id: "${personId}") { personId name status mergedInto faceCount revision createdAt updatedAt faces { faceId imageId by distance } } }`);
    expect(res.data!.person).toEqual(rest.body);
    const foreign = await gql(bob.token, `{ person(id: "${personId}") { personId } }`);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('consent_required'); // bob has not consented to recognition
    await consentOverHttp(t.baseUrl, bob.token, 'face_recognition');
    const hidden = await gql(bob.token, `{ person(id: "${personId}") { personId } }`);
    expect(hidden.errors?.[0]?.extensions?.code).toBe('person_not_found');
  });

  it('searchFaces answers what POST /v1/faces/search answers, and records the identification', async () => {
    const rest = await call<{ matches: unknown[]; unknown: boolean; threshold: number; gallerySize: number }>(t.baseUrl, 'POST', '/v1/faces/search', { token: alice.token, body: { faceId: faces[0], threshold: 2 } });
    const head = (await t.runtime.eventStore.headPosition()) as Position;
    const res = await gql<{ searchFaces: { matches: unknown[]; unknown: boolean; threshold: number; gallerySize: number; query: unknown } }>(
      alice.token,
      `{ searchFaces(faceId: "${faces[0]}", threshold: 2) { matches { faceId imageId personId distance } unknown threshold gallerySize query { faceId imageId } } }`,
    );
    expect(res.data!.searchFaces).toMatchObject({ matches: rest.body.matches, unknown: rest.body.unknown, threshold: 2, gallerySize: 3, query: { faceId: faces[0], imageId } });
    const records: unknown[] = [];
    await eventually(async () => {
      records.length = 0;
      for await (const e of t.runtime.eventStore.readAll({ from: head, filter: { eventTypes: ['BiometricDataAccessed'] } })) {
        for (const r of accessRecordsOf(e.data as BiometricDataAccessedData)) if (r.facts.route.includes('Query.searchFaces')) records.push(r.parties);
      }
      return records.length === 1;
    }, 'the search is recorded');
    expect(records[0]).toMatchObject({ accessor: { id: alice.userId }, subjects: [{ subjectId: alice.userId, imageIds: [imageId] }] });
    const bad = await gql(alice.token, `{ searchFaces(faceId: "${faces[0]}", k: 1000) { unknown } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('invalid_k');
  });

  it('personUpdated delivers each change of the person', async () => {
    const c = createClient({ url: `${t.baseUrl.replace('http://', 'ws://')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${alice.token}` } });
    clients.push(c);
    const it = c.iterate<{ personUpdated: { personId: string; name: string; faceCount: number } }>({ query: `subscription { personUpdated(id: "${personId}") { personId name faceCount } }` });
    const first = it.next();
    let arrived = false;
    void first.then(() => (arrived = true));
    // Renamed until a notice arrives (the subscription is live once the server has subscribed).
    let n = 0;
    await eventually(async () => {
      await call(t.baseUrl, 'PATCH', `/v1/people/${personId}`, { token: alice.token, body: { name: `Lin ${++n}` } });
      return arrived;
    }, 'a notice arrives');
    const msg = (await first) as IteratorResult<{ data?: { personUpdated: { personId: string; name: string; faceCount: number } } | null }>;
    const notice = msg.done ? undefined : msg.value.data?.personUpdated;
    expect(notice).toMatchObject({ personId, faceCount: 2 });
    expect(notice?.name).toMatch(/^Lin \d+$/);
    await it.return?.();
  });

  it('myPeople delivers a person of yours the moment it is made (no subscription of its own yet); it needs the consent', async () => {
    const c = createClient({ url: `${t.baseUrl.replace('http://', 'ws://')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${alice.token}` } });
    clients.push(c);
    const it = c.iterate<{ myPeople: { personId: string; faceCount: number } }>({ query: 'subscription { myPeople { personId faceCount } }' });
    const noticed: string[] = [];
    const reading = (async () => {
      for await (const msg of it) if (msg.data) noticed.push(msg.data.myPeople.personId);
    })();
    // A new person (taking face 2) until its notice arrives: the subscription is live once the
    // server has subscribed (earlier notices, e.g. of the renames above, may come first).
    const made: string[] = [];
    await eventually(async () => {
      const created = await call<{ personId: string }>(t.baseUrl, 'POST', '/v1/people', { token: alice.token, body: { faceIds: [faces[2]] } });
      made.push(created.body.personId);
      return noticed.some((id) => made.includes(id));
    }, 'a notice of a new person arrives');
    expect(noticed.every((id) => id === personId || made.includes(id))).toBe(true);
    await it.return?.();
    await reading;

    const carol = await registerConsenting(t.baseUrl, { email: 'carol.gqlr@example.com', password: 'a perfectly fine password' });
    const cc = createClient({ url: `${t.baseUrl.replace('http://', 'ws://')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${carol.token}` } });
    clients.push(cc);
    // graphql-ws rejects with the errors of an `error` message.
    const refused: unknown = await cc.iterate({ query: 'subscription { myPeople { personId } }' }).next().catch((errors: unknown) => errors);
    expect((refused as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('consent_required');
  });
});
