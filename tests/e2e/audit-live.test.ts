// The live audit feed (Server-Sent Events): catch-up then live events; a disconnect closes the
// store subscription; a reconnect with Last-Event-ID gets exactly the events after it.

import { AccessLog } from '../../src/commands/access/access-log.js';
import { ImageOwners } from '../../src/queries/access/image-owners.js';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionToCursor } from '../../src/eventstore/position.js';
import type { Subscription } from '../../src/eventstore/types.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { auditRoutes } from '../../src/http/routes/audit/audit.js';
import { ProblemSchema } from '../../src/http/schemas.js';
import { collect } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor, type FeedEvent } from '../support/audit.js';
import { until } from '../support/until.js';

let t: TestApp;
let auditor: string;

beforeAll(async () => {
  t = await startTestApp('audit-live');
  auditor = (await tokenFor(t, 'auditor@example.com', 'auditor')).token;
});
afterAll(async () => {
  await t.stop();
});

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An SSE connection read with fetch: frames are parsed as they arrive. */
async function connect(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const frames: Frame[] = [];
  let closed = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body! as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            const m = /^(id|event|data): (.*)$/.exec(line);
            if (m) frame[m[1] as 'id' | 'event' | 'data'] = m[2];
          }
          frames.push(frame);
        }
      }
    } catch {
      /* aborted */
    } finally {
      closed = true;
    }
  })();
  const events = () => frames.filter((f) => f.data !== undefined).map((f) => ({ id: f.id, name: f.event, event: JSON.parse(f.data!) as FeedEvent }));
  return {
    res,
    frames,
    events,
    isClosed: () => closed,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

function subscriptionsOf(store: unknown): Set<Subscription> {
  return (store as { subscriptions: Set<Subscription> }).subscriptions;
}

describe('audit live feed (SSE)', () => {
  it('catches up, goes live, and resumes exactly after Last-Event-ID', async () => {
    const store = t.runtime.eventStore;
    for (let i = 0; i < 5; i++) await store.append(`live-${i}`, [{ type: 'Before', data: { i } }]);
    const history = await collect(store.readAll());
    const subsBefore = subscriptionsOf(store).size;

    const first = await connect(`${t.baseUrl}/v1/audit/live`, { authorization: `Bearer ${auditor}` });
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(first.res.headers.get('x-content-type-options')).toBe('nosniff'); // helmet's headers survive the hijack
    await until(() => first.events().length >= history.length, 'catch-up');
    expect(first.events().map((f) => f.event.id)).toEqual(history.map((e) => e.id));
    for (const f of first.events()) {
      expect(f.id).toBe(f.event.position);
      expect(f.name).toBe(f.event.type);
    }

    for (let i = 0; i < 3; i++) await store.append(`live-${i}`, [{ type: 'Live', data: { i } }]);
    await until(() => first.events().length >= history.length + 3, 'live events');
    const live = first.events().slice(history.length);
    expect(live.map((f) => [f.event.type, f.event.data])).toEqual([
      ['Live', { i: 0 }],
      ['Live', { i: 1 }],
      ['Live', { i: 2 }],
    ]);
    const lastId = first.events().at(-1)!.id!;

    // Disconnect: the server closes its store subscription.
    await first.close();
    await until(() => subscriptionsOf(store).size === subsBefore, 'subscription closed after disconnect');

    for (let i = 0; i < 4; i++) await store.append(`missed-${i}`, [{ type: 'Missed', data: { i } }]);
    // Last-Event-ID wins over ?after (which would replay everything).
    const second = await connect(`${t.baseUrl}/v1/audit/live?after=0-0`, { authorization: `Bearer ${auditor}`, 'last-event-id': lastId });
    expect(second.res.status).toBe(200);
    await until(() => second.events().length >= 4, 'missed events');
    await store.append('after-reconnect', [{ type: 'Again', data: {} }]);
    await until(() => second.events().length >= 5, 'live after reconnect');
    expect(second.events().map((f) => [f.event.type, f.event.data])).toEqual([
      ['Missed', { i: 0 }],
      ['Missed', { i: 1 }],
      ['Missed', { i: 2 }],
      ['Missed', { i: 3 }],
      ['Again', {}],
    ]);
    const all = await collect(store.readAll({ from: history.at(-1)!.position }));
    expect([...live, ...second.events()].map((f) => f.id)).toEqual(all.map((e) => positionToCursor(e.position)));
    await second.close();
    await until(() => subscriptionsOf(store).size === subsBefore, 'subscription closed after the second disconnect');
  });

  it('sends heartbeats and ends open streams when the server closes', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    app.addSchema(ProblemSchema);
    const access = { log: new AccessLog({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, logSelf: false }), owners: new ImageOwners(t.runtime.eventStore) };
    auditRoutes(app, { store: t.runtime.eventStore, requireRole: () => () => Promise.resolve(), heartbeatMs: 30, access });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const head = positionToCursor((await t.runtime.eventStore.append('heartbeat-marker', [{ type: 'Marker', data: {} }])).position);
    const conn = await connect(`http://127.0.0.1:${port}/v1/audit/live?after=${head}`, {});
    await until(() => conn.frames.filter((f) => f.comment === 'ping').length >= 2, 'two heartbeats');
    expect(conn.events()).toEqual([]);
    await app.close();
    await until(() => conn.isClosed(), 'stream ended by the server');
    await conn.close();
  });
});
