// The auditors' feed over HTTP against real PostgreSQL: paging with opaque cursors while appends
// run concurrently never skips or repeats; a cursor always returns the same page; filters; roles.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions, cursorToPosition, positionToCursor } from '../../src/eventstore/position.js';
import { AuditFeed } from '../../src/queries/audit/audit-feed.js';
import { collect } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor, type FeedEvent, type FeedPage } from '../support/audit.js';
import { call } from '../support/http.js';
import { eventually } from '../../support/eventually.js';

let t: TestApp;
let auditor: string;
let admin: string;
let user: string;

beforeAll(async () => {
  t = await startTestApp('audit-feed');
  auditor = (await tokenFor(t, 'auditor@example.com', 'auditor')).token;
  admin = (await tokenFor(t, 'admin@example.com', 'admin')).token;
  user = (await tokenFor(t, 'user@example.com', 'user')).token;
});
afterAll(async () => {
  await t.stop();
});

async function page(query: string, token = auditor): Promise<FeedPage> {
  const res = await call<FeedPage>(t.baseUrl, 'GET', `/v1/audit/events${query}`, { token });
  if (res.status !== 200) throw new Error(`GET /v1/audit/events${query}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Pages from `after` until a page comes back empty; returns the events and the final cursor. */
async function drain(filters: string, limit: number, after?: string): Promise<{ events: FeedEvent[]; cursor: string | undefined }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const p = await page(`?limit=${limit}${cursor ? `&after=${cursor}` : ''}${filters}`);
    events.push(...p.events);
    if (p.events.length === 0) return { events, cursor };
    cursor = p.nextCursor;
  }
}

describe('audit feed', () => {
  it('needs the auditor or admin role', async () => {
    expect((await call(t.baseUrl, 'GET', '/v1/audit/events')).status).toBe(401);
    const forbidden = await call(t.baseUrl, 'GET', '/v1/audit/events', { token: user });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'forbidden' });
    for (const path of ['/v1/audit/streams/user-x', '/v1/audit/export.ndjson', '/v1/audit/live']) {
      expect((await call(t.baseUrl, 'GET', path, { token: user })).status).toBe(403);
      expect((await call(t.baseUrl, 'GET', path)).status).toBe(401);
    }
    expect((await call(t.baseUrl, 'GET', '/v1/audit/events?limit=1', { token: admin })).status).toBe(200);
  });

  it('rejects bad cursors, dates and limits', async () => {
    const badCursor = await call(t.baseUrl, 'GET', '/v1/audit/events?after=nope', { token: auditor });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toMatchObject({ code: 'invalid_cursor' });
    expect(badCursor.headers.get('content-type')).toContain('application/problem+json');
    const badDate = await call(t.baseUrl, 'GET', '/v1/audit/events?from=yesterday', { token: auditor });
    expect(badDate.status).toBe(400);
    expect(badDate.body).toMatchObject({ code: 'validation_failed' });
    for (const limit of ['0', '1001', 'x']) {
      expect((await call(t.baseUrl, 'GET', `/v1/audit/events?limit=${limit}`, { token: auditor })).status).toBe(400);
    }
    const badResume = await call(t.baseUrl, 'GET', '/v1/audit/live', { token: auditor, headers: { 'last-event-id': '12' } });
    expect(badResume.status).toBe(400);
    expect(badResume.body).toMatchObject({ code: 'invalid_cursor' });
  });

  it('pages while appends run concurrently: no event skipped or repeated; a cursor always returns the same page', async () => {
    const store = t.runtime.eventStore;
    let appending = true;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 40; i++) {
        const size = 1 + ((w + i) % 5);
        await store.append(
          `concurrent-${w}-${i % 7}`,
          Array.from({ length: size }, (_, k) => ({ type: 'Ticked', data: { w, i, k }, metadata: { actor: { id: `writer-${w}`, kind: 'system' as const } } })),
        );
      }
    });
    const done = Promise.all(writers).finally(() => {
      appending = false;
    });

    const seen: FeedEvent[] = [];
    const pages = new Map<string, FeedPage>();
    let cursor: string | undefined;
    let requestsWhileAppending = 0;
    while (appending) {
      requestsWhileAppending++;
      const p = await page(`?limit=37${cursor ? `&after=${cursor}` : ''}`);
      if (cursor !== undefined && p.events.length === 37) pages.set(cursor, p);
      seen.push(...p.events);
      cursor = p.nextCursor;
    }
    await done;
    const rest = await drain('', 37, cursor);
    seen.push(...rest.events);

    const all = await collect(store.readAll());
    expect(all.length).toBeGreaterThan(8 * 40);
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(seen.map((e) => e.position)).toEqual(all.map((e) => `${e.position.commit}-${e.position.prepare}`));
    expect(seen.at(-1)!.revision).toBe(all.at(-1)!.revision.toString());

    expect(requestsWhileAppending).toBeGreaterThan(1);
    // Full pages seen during the appends come back identical, and every cursor twice in a row too.
    for (const [c, p] of pages) expect(await page(`?limit=37&after=${c}`)).toEqual(p);
    let c: string | undefined;
    for (;;) {
      const p = await page(`?limit=37${c ? `&after=${c}` : ''}`);
      if (p.events.length === 0) break;
      expect(await page(`?limit=37${c ? `&after=${c}` : ''}`)).toEqual(p);
      c = p.nextCursor;
    }
    const mid = seen[Math.floor(seen.length / 2)]!.position;
    expect(await page(`?limit=50&after=${mid}`)).toEqual(await page(`?limit=50&after=${mid}`));
    // At the end: nothing new, the cursor stays put so a client can poll with it.
    const last = seen.at(-1)!.position;
    expect(await page(`?after=${last}`)).toEqual({ events: [], nextCursor: last });
  });

  it('filters by type, stream prefix, actor and recordedAt', async () => {
    const store = t.runtime.eventStore;
    const start = positionToCursor((await store.append('probe-marker', [{ type: 'Marker', data: {} }])).position);
    for (let i = 0; i < 30; i++) {
      const actor = { id: i % 3 === 0 ? 'actor-a' : 'actor-b', kind: 'user' as const };
      await store.append(`probe-${i % 2 === 0 ? 'even' : 'odd'}-${i}`, [{ type: i % 4 === 0 ? 'ProbeA' : 'ProbeB', data: { i }, metadata: { actor } }]);
    }
    const mine = await drain('', 1000, start);
    expect(mine.events).toHaveLength(30);

    const byType = await drain('&type=ProbeA,Nothing', 2, start);
    expect(byType.events.map((e) => e.id)).toEqual(mine.events.filter((e) => e.type === 'ProbeA').map((e) => e.id));

    const byStream = await drain('&stream=probe-even-', 4, start);
    expect(byStream.events.map((e) => e.id)).toEqual(mine.events.filter((e) => e.stream.startsWith('probe-even-')).map((e) => e.id));

    const byActor = await drain('&actor=actor-a&type=ProbeA', 1, start);
    expect(byActor.events.map((e) => e.id)).toEqual(mine.events.filter((e) => e.metadata.actor?.id === 'actor-a' && e.type === 'ProbeA').map((e) => e.id));
    expect(byActor.events.length).toBeGreaterThan(0);

    // Time bounds are inclusive and apply to recordedAt (compared with what readAll recorded).
    const times = mine.events.map((e) => e.recordedAt);
    const from = times[10]!;
    const to = times[20]!;
    const inRange = await drain(`&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, 3, start);
    const expected = mine.events.filter((e) => e.recordedAt >= from && e.recordedAt <= to);
    expect(expected.length).toBeGreaterThanOrEqual(11);
    expect(inRange.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    const after = await drain(`&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, 100, start);
    expect(after.events).toEqual([]);
  });

  it('bounds how many events one filtered request scans; the cursor moves on past them', async () => {
    const store = t.runtime.eventStore;
    const feed = new AuditFeed(store, { scanBound: 50 });
    const head = (await store.append('bounded-0', [{ type: 'Marker', data: {} }])).position;
    await store.append('bounded-1', Array.from({ length: 120 }, (_, i) => ({ type: 'Filler', data: { i } })));
    const needle = await store.append('bounded-2', [{ type: 'Needle', data: {}, metadata: { actor: { id: 'needle-actor' } } }]);
    // Readers see a commit only once every older transaction in the cluster has ended (another
    // test file's too): page once the needle is visible, or the pages stop short of it.
    await eventually(async () => comparePositions((await store.headPosition())!, needle.position) >= 0, 'the needle is visible');
    const first = await feed.page({ after: head, limit: 10, actorId: 'needle-actor' });
    expect(first.events).toEqual([]);
    const fillers = await collect(store.readAll({ from: head, maxCount: 50 }));
    expect(fillers.every((e) => e.stream === 'bounded-1')).toBe(true);
    expect(cursorToPosition(first.nextCursor)).toEqual(fillers.at(-1)!.position);
    let p = first;
    let requests = 1;
    while (p.events.length === 0) {
      p = await feed.page({ after: cursorToPosition(p.nextCursor), limit: 10, actorId: 'needle-actor' });
      requests++;
    }
    expect(requests).toBe(3);
    expect(p.events.map((e) => e.type)).toEqual(['Needle']);
  });

  it("serves one stream's history with revisions; secrets redacted; 404 for an empty stream", async () => {
    const { userId } = await tokenFor(t, 'history@example.com', 'user');
    const res = await call<{ stream: string; events: FeedEvent[]; nextRevision: string | null }>(t.baseUrl, 'GET', `/v1/audit/streams/user-${userId}`, { token: auditor });
    expect(res.status).toBe(200);
    expect(res.body.stream).toBe(`user-${userId}`);
    expect(res.body.nextRevision).toBeNull();
    expect(res.body.events.map((e) => [e.revision, e.type])).toEqual([['0', 'UserRegistered']]);
    expect(res.body.events[0]!.data).toMatchObject({ userId, email: 'history@example.com', passwordHash: '[redacted]' });
    expect(res.body.events[0]!.metadata).toMatchObject({ correlationId: 'test', actor: { id: 'cli' } });

    await t.runtime.eventStore.append('long-stream', Array.from({ length: 5 }, (_, i) => ({ type: 'Step', data: { i } })));
    const paged = await call<{ events: FeedEvent[]; nextRevision: string | null }>(t.baseUrl, 'GET', '/v1/audit/streams/long-stream?limit=3', { token: auditor });
    expect(paged.body.events.map((e) => e.revision)).toEqual(['0', '1', '2']);
    expect(paged.body.nextRevision).toBe('3');
    const tail = await call<{ events: FeedEvent[]; nextRevision: string | null }>(t.baseUrl, 'GET', '/v1/audit/streams/long-stream?limit=3&fromRevision=3', { token: auditor });
    expect(tail.body.events.map((e) => e.revision)).toEqual(['3', '4']);
    expect(tail.body.nextRevision).toBeNull();

    const missing = await call(t.baseUrl, 'GET', '/v1/audit/streams/user-nobody', { token: auditor });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'stream_not_found' });
    const longName = `s/${'x'.repeat(198)}`;
    await t.runtime.eventStore.append(longName, [{ type: 'Step', data: {} }]);
    const long = await call<{ stream: string; events: FeedEvent[] }>(t.baseUrl, 'GET', `/v1/audit/streams/${encodeURIComponent(longName)}`, { token: auditor });
    expect(long.status).toBe(200);
    expect(long.body.stream).toBe(longName);
    expect(long.body.events).toHaveLength(1);
    const tooLong = await call(t.baseUrl, 'GET', `/v1/audit/streams/${'x'.repeat(201)}`, { token: auditor });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ code: 'validation_failed' });
  });
});
