// The biometric access log (issue 16 items 5-6): every read path of biometric content by someone
// other than its subject (an auditor, an admin) appends exactly one BiometricDataAccessed per
// request with the right fields; the owner's own reads and metadata-only lists append none (with
// ACCESS_LOG_SELF on, one); a store that refuses the access record's append means the response is
// an error that serves nothing; retention shreds an expired day's key and leaves its records as
// facts with erased fields; /v1/me/access and /v1/audit/access page and filter.

import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog } from '../../src/commands/access/access-log.js';
import { accessDayPrefix, accessRecordsOf, utcDayOf, type BiometricDataAccessedData } from '../../src/domain/access/access-events.js';
import { comparePositions, positionToCursor } from '../../src/eventstore/position.js';
import { eventually } from '../../support/eventually.js';
import type { Position, RecordedEvent } from '../../src/eventstore/types.js';
import { runAccessLogRetention } from '../../src/workers/access/access-log-retention.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';

let t: TestApp;
const worker = { correlationId: 'access-log-test', actor: { id: 'analysis-worker', kind: 'system' as const } };
let alice: { userId: string; token: string };
let auditor: { userId: string; token: string };
let admin: { userId: string; token: string };
let image: string;
let head: Position;

/** Faces inside a 64×48 photo. */
const faces = [1, 2].map((i) => ({
  box: { x: 4 * i, y: 4 * i, width: 20, height: 20 },
  score: 0.9,
  landmarks: Array.from({ length: 68 }, (_, k) => [5 + (k % 20), 5 + (k % 15)] as [number, number]),
  descriptor: Array.from({ length: 128 }, (_, k) => k / 1000 + i / 10),
}));

async function upload(token: string): Promise<string> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'alice.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(202);
  return ((await res.json()) as { imageId: string }).imageId;
}

/**
 * A position every append committed so far is visible at: a marker appended now, once readers see
 * it (PostgreSQL readers see a commit only when every older transaction has ended, so a record
 * committed before the response may still be behind the head for a moment).
 */
async function visibleHead(): Promise<string> {
  const { position } = await t.runtime.eventStore.append(`test-marker-${randomUUID()}`, [{ type: 'Marker', data: {} }]);
  await eventually(async () => {
    const head = await t.runtime.eventStore.headPosition();
    return head !== undefined && comparePositions(head, position) >= 0;
  }, 'the marker is visible');
  return positionToCursor(position);
}

/** One access record of a BiometricDataAccessed event (which may hold several): its facts and parties as one object. */
interface FlatRecord {
  event: RecordedEvent;
  metadata: RecordedEvent['metadata'];
  data: Record<string, unknown>;
}

/** Today's access records (opened) that `keep` selects, one per record however they were batched. */
async function todaysRecords(keep: (r: FlatRecord) => boolean): Promise<FlatRecord[]> {
  await visibleHead();
  const out: FlatRecord[] = [];
  for await (const e of t.runtime.eventStore.readAll({ filter: { streamPrefixes: [accessDayPrefix(utcDayOf(new Date()))] } })) {
    expect(e.type).toBe('BiometricDataAccessed');
    for (const { facts, parties } of accessRecordsOf(e.data as BiometricDataAccessedData)) {
      const r = { event: e, metadata: e.metadata, data: { ...facts, ...parties } };
      if (keep(r)) out.push(r);
    }
  }
  return out;
}

/** Every access record of a request id. */
const recordsOf = (requestId: string) => todaysRecords((r) => r.data['requestId'] === requestId);

const rid = () => `access-test-${randomUUID()}`;
const headers = (requestId: string, purpose?: string) => ({ 'x-request-id': requestId, ...(purpose ? { 'x-access-purpose': purpose } : {}) });

async function get(path: string, token: string, requestId: string, purpose?: string): Promise<Response> {
  return fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers(requestId, purpose) } });
}

async function gql(query: string, token: string, requestId: string): Promise<{ status: number; body: { data?: unknown; errors?: { extensions?: { code?: string } }[] } }> {
  const res = await call<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>(t.baseUrl, 'POST', '/graphql', { token, body: { query }, headers: headers(requestId) });
  return { status: res.status, body: res.body };
}

beforeAll(async () => {
  t = await startTestApp('h16c_access_log');
  alice = await registerConsenting(t.baseUrl, { email: 'alice.access@example.com', password: 'a perfectly fine password' });
  auditor = await tokenFor(t, 'auditor.access@example.com', 'auditor');
  admin = await tokenFor(t, 'admin.access@example.com', 'admin');
  image = await upload(alice.token);
  let requestId: string | undefined;
  for await (const e of t.runtime.eventStore.readStream(`image-${image}`)) requestId = e.id;
  head = (await t.images.recordAnalysis(image, { requestId: requestId!, model: { name: 'test-model', version: '1', sha256: 'a'.repeat(64) }, faces, durationMs: 5 }, worker))!;
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

interface Page {
  items: { recordId: string; subjectId: string; accessor: { id: string; role: string }; imageIds: string[]; fields: string[]; route: string; requestId: string; at: string }[];
  nextCursor: string | null;
}

describe('every biometric read path by a non-subject records exactly one access per request', () => {
  const faceFields = ['faces', 'landmarks'];
  const cases: { name: string; fields: string[]; route: string; read: (token: string, requestId: string) => Promise<{ ok: boolean; showsFaces: boolean }> }[] = [
    {
      name: 'GET /v1/images/{id}',
      fields: faceFields,
      route: 'GET /v1/images/:imageId',
      read: async (token, id) => {
        const res = await get(`/v1/images/${image}?consistentWith=${positionToCursor(head)}`, token, id, 'case review 42');
        const body = (await res.json()) as { faces: unknown[] };
        return { ok: res.status === 200, showsFaces: body.faces.length === 2 };
      },
    },
    {
      name: 'GET /v1/images/{id}?include=descriptor',
      fields: [...faceFields, 'descriptors'],
      route: 'GET /v1/images/:imageId',
      read: async (token, id) => {
        const res = await get(`/v1/images/${image}?include=descriptor&consistentWith=${positionToCursor(head)}`, token, id);
        const body = (await res.json()) as { faces: { descriptor?: number[] }[] };
        return { ok: res.status === 200, showsFaces: body.faces[0]?.descriptor?.length === 128 };
      },
    },
    {
      name: 'GET /v1/images/{id}?asOf (time travel)',
      fields: faceFields,
      route: 'GET /v1/images/:imageId',
      read: async (token, id) => {
        const res = await get(`/v1/images/${image}?asOf=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`, token, id);
        const body = (await res.json()) as { faces: unknown[] };
        return { ok: res.status === 200, showsFaces: body.faces.length === 2 };
      },
    },
    {
      name: 'GET /v1/images/{id}/content',
      fields: ['content'],
      route: 'GET /v1/images/:imageId/content',
      read: async (token, id) => {
        const res = await get(`/v1/images/${image}/content?consistentWith=${positionToCursor(head)}`, token, id);
        return { ok: res.status === 200, showsFaces: (await res.arrayBuffer()).byteLength > 0 };
      },
    },
    {
      name: 'GET /v1/images/{id}/annotated',
      fields: ['annotated'],
      route: 'GET /v1/images/:imageId/annotated',
      read: async (token, id) => {
        const res = await get(`/v1/images/${image}/annotated?consistentWith=${positionToCursor(head)}`, token, id);
        return { ok: res.status === 200, showsFaces: res.headers.get('content-type') === 'image/png' && (await res.arrayBuffer()).byteLength > 0 };
      },
    },
    {
      name: 'GraphQL image { faces { landmarks descriptor } }',
      fields: [...faceFields, 'descriptors'],
      route: 'graphql query Image.faces,Face.descriptor',
      read: async (token, id) => {
        const { status, body } = await gql(`{ image(id: "${image}", consistentWith: "${positionToCursor(head)}") { id faces { score landmarks { x y } descriptor } } }`, token, id);
        return { ok: status === 200 && !body.errors, showsFaces: (body.data as { image: { faces: unknown[] } }).image.faces.length === 2 };
      },
    },
    {
      name: 'GraphQL images { edges { node { faces } } }',
      fields: faceFields,
      route: 'graphql query Image.faces',
      read: async (token, id) => {
        const { status, body } = await gql(`{ images(consistentWith: "${positionToCursor(head)}") { edges { node { id faces { score } } } } }`, token, id);
        return { ok: status === 200 && !body.errors, showsFaces: JSON.stringify(body.data).includes('score') };
      },
    },
    {
      name: 'GET /v1/audit/events (ImageAnalyzed with faces)',
      fields: [...faceFields, 'descriptors'],
      route: 'GET /v1/audit/events',
      read: async (token, id) => {
        const res = await get('/v1/audit/events?type=ImageAnalyzed', token, id);
        const body = (await res.json()) as { events: { data: { faces: unknown[] } }[] };
        return { ok: res.status === 200, showsFaces: body.events[0]?.data.faces.length === 2 };
      },
    },
    {
      name: 'GET /v1/audit/streams/image-{id}',
      fields: [...faceFields, 'descriptors'],
      route: 'GET /v1/audit/streams/*',
      read: async (token, id) => {
        const res = await get(`/v1/audit/streams/image-${image}`, token, id);
        return { ok: res.status === 200, showsFaces: (await res.text()).includes('landmarks') };
      },
    },
    {
      name: 'GET /v1/audit/export.ndjson',
      fields: [...faceFields, 'descriptors'],
      route: 'GET /v1/audit/export.ndjson',
      read: async (token, id) => {
        const res = await get('/v1/audit/export.ndjson', token, id);
        return { ok: res.status === 200, showsFaces: (await res.text()).includes('landmarks') };
      },
    },
    {
      name: 'GraphQL auditEvents',
      fields: [...faceFields, 'descriptors'],
      route: 'graphql query Query.auditEvents',
      read: async (token, id) => {
        const { status, body } = await gql('{ auditEvents(types: ["ImageAnalyzed"]) { events { data } } }', token, id);
        return { ok: status === 200 && !body.errors, showsFaces: JSON.stringify(body.data).includes('landmarks') };
      },
    },
  ];

  for (const c of cases) {
    it(`${c.name}: one record by an auditor and one by an admin; none by the owner`, async () => {
      for (const [who, role] of [
        [auditor, 'auditor'],
        [admin, 'admin'],
      ] as const) {
        const id = rid();
        expect(await c.read(who.token, id)).toEqual({ ok: true, showsFaces: true });
        const records = await recordsOf(id);
        expect(records, `${c.name} by ${role}`).toHaveLength(1);
        expect(records[0]!.data).toMatchObject({ accessor: { id: who.userId, role }, subjects: [{ subjectId: alice.userId, imageIds: [image] }], fields: c.fields, route: c.route, requestId: id, imageCount: 1 });
        // Who read is sealed; the clear metadata names only the recorder.
        expect(records[0]!.metadata.actor).toEqual({ id: 'access-log', kind: 'system' });
      }
      const own = rid();
      if (!c.route.includes('audit')) {
        expect(await c.read(alice.token, own)).toEqual({ ok: true, showsFaces: true });
        expect(await recordsOf(own)).toEqual([]);
      }
    });
  }

  it('GET /v1/audit/live: the frame with faces is sent only after its access record (one per frame)', async () => {
    // From just before the analysis: the first frame is the ImageAnalyzed with faces.
    let before: string | undefined;
    for await (const e of t.runtime.eventStore.readStream(`image-${image}`)) if (e.type !== 'ImageAnalyzed') before = positionToCursor(e.position);
    const id = rid();
    const abort = new AbortController();
    const res = await fetch(`${t.baseUrl}/v1/audit/live?after=${before}`, { headers: { authorization: `Bearer ${auditor.token}`, ...headers(id) }, signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/event: ImageAnalyzed\ndata: [^\n]*landmarks/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toMatch(/event: ImageAnalyzed/);
    const records = await recordsOf(id);
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records[0]!.data).toMatchObject({ accessor: { id: auditor.userId, role: 'auditor' }, subjects: [{ subjectId: alice.userId, imageIds: [image] }], route: 'GET /v1/audit/live', requestId: id });
    abort.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('GraphQL subscription imageUpdated { faces }: its message with faces is recorded first (one per message); the owner\'s is not', async () => {
    const records = () => todaysRecords((r) => String(r.data['route']).startsWith('graphql subscription'));
    const before = (await records()).length;
    for (const [token, expected] of [
      [alice.token, 0],
      [auditor.token, 1],
    ] as const) {
      const c = createClient({ url: `${t.baseUrl.replace('http://', 'ws://')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${token}` } });
      const it = c.iterate<{ imageUpdated: { id: string; faces: { score: number }[] } }>({ query: `subscription { imageUpdated(id: "${image}", consistentWith: "${positionToCursor(head)}") { id faces { score landmarks { x y } } } }` });
      const first = await it.next();
      expect(first.done).toBe(false);
      expect((first.value as { data: { imageUpdated: { faces: unknown[] } } }).data.imageUpdated.faces).toHaveLength(2);
      await it.return?.();
      await c.dispose();
      const now = await records();
      expect(now.length - before).toBe(expected);
      if (expected === 1) expect(now.at(-1)!.data).toMatchObject({ accessor: { id: auditor.userId, role: 'auditor' }, subjects: [{ subjectId: alice.userId, imageIds: [image] }], fields: ['faces', 'landmarks'], route: 'graphql subscription Image.faces' });
    }
  });

  it('the purpose given in X-Access-Purpose is recorded; a bad one is 400 and records nothing', async () => {
    const id = rid();
    expect((await get(`/v1/images/${image}?consistentWith=${positionToCursor(head)}`, auditor.token, id, 'case review 42')).status).toBe(200);
    expect((await recordsOf(id))[0]!.data).toMatchObject({ purpose: 'case review 42' });
    const bad = rid();
    const res = await get(`/v1/images/${image}`, auditor.token, bad, 'x'.repeat(201));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_access_purpose');
    expect(await recordsOf(bad)).toEqual([]);
  });

  it('metadata-only reads record nothing: the list, GraphQL images without faces, a stream without faces', async () => {
    const ids = [rid(), rid(), rid()];
    expect((await get('/v1/images', auditor.token, ids[0]!)).status).toBe(200);
    const { body } = await gql('{ images { edges { node { id filename status faceCount } } } }', auditor.token, ids[1]!);
    expect(body.errors).toBeUndefined();
    expect((await get(`/v1/audit/streams/user-${alice.userId}`, auditor.token, ids[2]!)).status).toBe(200);
    for (const id of ids) expect(await recordsOf(id)).toEqual([]);
  });

  it('with ACCESS_LOG_SELF on, the owner reading their own faces is recorded too', async () => {
    const log = new AccessLog({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, logSelf: true });
    const id = rid();
    const own = { accessor: { id: alice.userId, role: 'user' as const }, subjects: [{ subjectId: alice.userId, imageIds: [image] }], fields: ['faces' as const], route: 'GET /v1/images/:imageId', purpose: null, requestId: id };
    expect(await log.record(own)).toEqual({ recorded: true });
    expect(await recordsOf(id)).toHaveLength(1);
    const off = new AccessLog({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, logSelf: false });
    expect(await off.record({ ...own, requestId: rid() })).toEqual({ recorded: false });
  });

  it('concurrent reads are batched into few appends, each request still getting exactly one record', async () => {
    const ids = Array.from({ length: 40 }, rid);
    const results = await Promise.all(ids.map((id) => get(`/v1/images/${image}?consistentWith=${positionToCursor(head)}`, auditor.token, id).then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    const counts = await Promise.all(ids.map(async (id) => (await recordsOf(id)).length));
    expect(counts.every((n) => n === 1)).toBe(true);
    // Batched: the 40 records share fewer events (one per append), each naming its own request.
    const events = new Set((await todaysRecords((r) => ids.includes(String(r.data['requestId'])))).map((r) => r.event.id));
    expect(events.size).toBeLessThan(ids.length);
  });
});

describe('reading the access log', () => {
  it('/v1/audit/access pages through every record of a subject exactly once, filters by accessor and time; /v1/me/access shows the subject who read', async () => {
    const mine = Array.from({ length: 5 }, rid);
    for (const id of mine) expect((await get(`/v1/images/${image}?consistentWith=${positionToCursor(head)}`, auditor.token, id)).status).toBe(200);
    const at = await visibleHead();

    const all: Page['items'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: Page } = await call<Page>(t.baseUrl, 'GET', `/v1/audit/access?subject=${alice.userId}&accessor=${auditor.userId}&limit=2&consistentWith=${at}${cursor ? `&cursor=${cursor}` : ''}`, { token: auditor.token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(new Set(all.map((r) => r.recordId)).size).toBe(all.length);
    expect(all.every((r) => r.subjectId === alice.userId && r.accessor.id === auditor.userId)).toBe(true);
    for (const id of mine) expect(all.filter((r) => r.requestId === id)).toHaveLength(1);
    // Newest first.
    expect([...all].sort((a, b) => b.at.localeCompare(a.at)).map((r) => r.at)).toEqual(all.map((r) => r.at));

    const admins = await call<Page>(t.baseUrl, 'GET', `/v1/audit/access?accessor=${admin.userId}&limit=200&consistentWith=${at}`, { token: admin.token });
    expect(admins.body.items.length).toBeGreaterThan(0);
    expect(admins.body.items.every((r) => r.accessor.id === admin.userId)).toBe(true);
    const future = await call<Page>(t.baseUrl, 'GET', `/v1/audit/access?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}&consistentWith=${at}`, { token: auditor.token });
    expect(future.body.items).toEqual([]);

    const me = await call<Page>(t.baseUrl, 'GET', `/v1/me/access?limit=200&consistentWith=${at}`, { token: alice.token });
    expect(me.status).toBe(200);
    expect(me.body.items.filter((r) => mine.includes(r.requestId)).map((r) => r.accessor)).toEqual(mine.map(() => ({ id: auditor.userId, role: 'auditor' })));
    expect(me.body.items.every((r) => r.subjectId === alice.userId)).toBe(true);
    const auditorsOwn = await call<Page>(t.baseUrl, 'GET', `/v1/me/access?consistentWith=${at}`, { token: auditor.token });
    expect(auditorsOwn.body.items).toEqual([]);
  });

  it('refuses: a user on /v1/audit/access (403), a foreign cursor, a bad limit, a bad subject (400)', async () => {
    expect((await call(t.baseUrl, 'GET', '/v1/audit/access', { token: alice.token })).status).toBe(403);
    const first = await call<Page>(t.baseUrl, 'GET', '/v1/audit/access?limit=1', { token: auditor.token });
    const foreign = await call<{ code: string }>(t.baseUrl, 'GET', `/v1/audit/access?limit=1&subject=${alice.userId}&cursor=${first.body.nextCursor}`, { token: auditor.token });
    expect([foreign.status, foreign.body.code]).toEqual([400, 'invalid_cursor']);
    expect((await call<{ code: string }>(t.baseUrl, 'GET', '/v1/audit/access?cursor=garbage', { token: auditor.token })).body.code).toBe('invalid_cursor');
    expect((await call(t.baseUrl, 'GET', '/v1/audit/access?limit=0', { token: auditor.token })).status).toBe(400);
    expect((await call(t.baseUrl, 'GET', '/v1/audit/access?limit=201', { token: auditor.token })).status).toBe(400);
    expect((await call(t.baseUrl, 'GET', '/v1/audit/access?subject=nope', { token: auditor.token })).status).toBe(400);
    expect((await call(t.baseUrl, 'GET', '/v1/me/access?from=2026-13-01T00:00:00Z', { token: alice.token })).status).toBe(400);
  });
});

describe('retention', () => {
  it('shreds an expired day: its records stay as facts with erased fields and leave the read model; newer days stay', async () => {
    const oldNow = new Date(Date.now() - 200 * 86_400_000);
    const oldDay = utcDayOf(oldNow);
    const oldLog = new AccessLog({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, logSelf: false, now: () => oldNow });
    const oldId = rid();
    await oldLog.record({ accessor: { id: auditor.userId, role: 'auditor' }, subjects: [{ subjectId: alice.userId, imageIds: [image] }], fields: ['faces'], route: 'GET /v1/images/:imageId', purpose: 'old case', requestId: oldId });
    const recent = rid();
    expect((await get(`/v1/images/${image}?consistentWith=${positionToCursor(head)}`, auditor.token, recent)).status).toBe(200);
    const before = await visibleHead();
    const listed = async (at: string) =>
      (await call<Page>(t.baseUrl, 'GET', `/v1/audit/access?subject=${alice.userId}&limit=200&consistentWith=${at}`, { token: auditor.token })).body.items.map((r) => r.requestId);
    const listedBefore = await listed(before);
    expect(listedBefore.includes(oldId), "old listed").toBe(true);
    expect(listedBefore.includes(recent), "recent listed").toBe(true);

    const run = await runAccessLogRetention({ pool: t.runtime.pool, store: t.runtime.eventStore, keys: t.runtime.privacy.keys, retentionDays: 183 });
    expect(run).toEqual({ skipped: 0, expired: 1, keys: 1 });
    const after = await visibleHead();
    const ids = await listed(after);
    expect(ids).not.toContain(oldId);
    expect(ids).toContain(recent);

    // The old record is still in the log: clear fields kept, personal fields erased.
    const old: RecordedEvent[] = [];
    for await (const e of t.runtime.eventStore.readAll({ filter: { streamPrefixes: [accessDayPrefix(oldDay)] } })) old.push(e);
    expect(old).toHaveLength(1);
    expect(old[0]!.data).toEqual({ records: [{ recordId: expect.any(String) as unknown, fields: ['faces'], route: 'GET /v1/images/:imageId', requestId: oldId, imageCount: 1 }], parties: { $erased: true } });
    const expiry: RecordedEvent[] = [];
    for await (const e of t.runtime.eventStore.readStream(`access-expiry-${oldDay}`)) expiry.push(e);
    expect(expiry.map((e) => e.type)).toEqual(['AccessRecordsExpired']);
    // A second run finds nothing left to expire.
    expect(await runAccessLogRetention({ pool: t.runtime.pool, store: t.runtime.eventStore, keys: t.runtime.privacy.keys, retentionDays: 183 })).toEqual({ skipped: 0, expired: 0, keys: 0 });
  });
});
