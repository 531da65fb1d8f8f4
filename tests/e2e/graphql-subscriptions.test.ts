// GraphQL subscriptions end to end over graphql-transport-ws (graphql-ws client over ws), with
// the real analysis: subscribe, upload, receive `pending` then `analyzed` with faces. A second API
// process (its own runtime and app over the same database and Redis prefix, no projectors) gets
// the same messages, so they travel through Redis. Auth at connection_init and visibility.

import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import type { FastifyInstance } from 'fastify';
import { liveTopics } from '../../src/http/graphql/live.js';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventually } from '../../support/eventually.js';
import { PASSWORD, tokenFor } from '../support/audit.js';
import { readSample } from '../../support/sample-photos.js';
import { testLogger } from '../support/silent-logger.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
/** The second API process: same database and Redis prefix, no projectors, no workers. */
let other: { app: FastifyInstance; runtime: Runtime; url: string };
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
const clients: Client[] = [];

interface ImageMsg {
  id: string;
  status: string;
  faces: { score: number; landmarks: { x: number; y: number }[] }[];
  owner: { id: string } | null;
}

const wsUrl = (httpUrl: string) => `${httpUrl.replace('http://', 'ws://')}/graphql`;

function client(url: string, token: string | undefined): Client {
  const c = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  clients.push(c);
  return c;
}

/** Collects the subscription's data until `done` holds for the last one (or the iterator ends). */
async function collect<T>(iterator: AsyncIterableIterator<{ data?: T | null; errors?: readonly unknown[] }>, done: (item: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  for await (const result of iterator) {
    if (result.errors) throw new Error(`subscription error: ${JSON.stringify(result.errors)}`);
    const item = result.data!;
    out.push(item);
    if (done(item)) break;
  }
  return out;
}

/** The iterator's first step (connection and subscription set up, or refused). */
async function firstOutcome(iterator: AsyncIterableIterator<unknown>): Promise<{ error: unknown } | { value: unknown }> {
  try {
    const step = await iterator.next();
    return { value: step.value };
  } catch (error) {
    return { error };
  }
}

async function upload(token: string): Promise<{ imageId: string; position: string }> {
  await consentOverHttp(t.baseUrl, token);
  const f = new FormData();
  f.append('file', new Blob([await readSample(1)], { type: 'image/jpeg' }), 'sample1.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

/** Subscribes on every given endpoint (graphql-ws sends the subscribe message at once). */
function subscribeEverywhere<T>(urls: string[], token: string, query: string, variables: Record<string, unknown> = {}) {
  return urls.map((url) => {
    const c = client(url, token);
    return c.iterate<T>({ query, variables });
  });
}

const IMAGE = `id status owner { id } faces { score landmarks { x y } }`;

beforeAll(async () => {
  t = await startTestApp('graphql_subs', {}, {}, { workers: true });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: t.db.url,
    REDIS_KEY_PREFIX: t.runtime.config.redisKeyPrefix,
    JWT_DEV_KEY_FILE: t.runtime.config.auth.devKeyFile,
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
  });
  const runtime = await startRuntime(config, testLogger);
  const app = await buildApp(runtime);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  other = { app, runtime, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  alice = await tokenFor(t, 'alice@example.com', 'user');
  bob = await tokenFor(t, 'bob@example.com', 'user');
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
  await other?.app.close();
  await other?.runtime.close();
  await t?.stop();
});

describe('GraphQL subscriptions', () => {
  it('pushes pending then analysed (with faces) to myImages and imageUpdated, in this process and another', { timeout: 180_000 }, async () => {
    const urls = [wsUrl(t.baseUrl), wsUrl(other.url)];
    const mine = subscribeEverywhere<{ myImages: ImageMsg }>(urls, alice.token, `subscription { myImages { ${IMAGE} } }`);
    const pending = mine.map((it) => collect(it, (m) => m.myImages.status === 'analyzed'));
    // Both processes have subscribed the owner's topic in Redis (one subscriber connection each).
    const channel = liveTopics(t.runtime.config.redisKeyPrefix).owner(alice.userId);
    await eventually(async () => {
      const [, count] = (await t.runtime.redis.pubsub('NUMSUB', channel)) as [string, number];
      return count === 2;
    }, 'both API processes subscribed in Redis');

    const { imageId, position } = await upload(alice.token);
    // imageUpdated, on the other process, from the state at the upload's position.
    const updated = client(wsUrl(other.url), alice.token).iterate<{ imageUpdated: ImageMsg }>({
      query: `subscription($id: ID!, $c: String) { imageUpdated(id: $id, consistentWith: $c) { ${IMAGE} } }`,
      variables: { id: imageId, c: position },
    });
    const updates = await collect(updated, (m) => m.imageUpdated.status === 'analyzed');

    for (const received of await Promise.all(pending)) {
      const statuses = received.map((m) => m.myImages.status);
      expect(statuses).toEqual(['pending', 'analyzed']);
      expect(received.every((m) => m.myImages.id === imageId && m.myImages.owner?.id === alice.userId)).toBe(true);
      expect(received[0]!.myImages.faces).toEqual([]);
      const faces = received[1]!.myImages.faces;
      expect(faces.length).toBeGreaterThan(0);
      expect(faces[0]!.landmarks).toHaveLength(68);
    }
    expect(updates.at(-1)!.imageUpdated.status).toBe('analyzed');
    expect(updates.at(-1)!.imageUpdated.faces.length).toBeGreaterThan(0);
    // Revisions only move forward: no status repeats, pending (if seen) comes first.
    expect(['pending,analyzed', 'analyzed']).toContain(updates.map((u) => u.imageUpdated.status).join(','));

    // Bob cannot subscribe to Alice's image: the same code as a query.
    const bobs = client(wsUrl(t.baseUrl), bob.token).iterate({ query: `subscription { imageUpdated(id: "${imageId}") { id } }` });
    const refused = await firstOutcome(bobs);
    expect('error' in refused).toBe(true);
    const errors = (refused as { error: { extensions?: { code?: string } }[] }).error;
    expect(errors[0]?.extensions?.code).toBe('image_not_found');
  });

  it('refuses a connection without a valid token at connection_init, with the code REST gives', async () => {
    for (const token of [undefined, 'not.a.jwt']) {
      const it = client(wsUrl(t.baseUrl), token).iterate({ query: `subscription { myImages { id } }` });
      const outcome = await firstOutcome(it);
      expect('error' in outcome).toBe(true);
      const rest = await fetch(`${t.baseUrl}/v1/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const restCode = ((await rest.json()) as { code: string }).code;
      const errors = (outcome as { error: { extensions?: { code?: string; status?: number } }[] }).error;
      expect([rest.status, errors[0]?.extensions]).toEqual([401, { code: restCode, status: 401 }]);
    }
  });

  it('closes a socket whose token was refused even if it never subscribes (4401, the REST code as the reason)', async () => {
    const socket = new WebSocket(wsUrl(t.baseUrl), 'graphql-transport-ws');
    const messages: string[] = [];
    socket.on('message', (m: Buffer) => messages.push(m.toString()));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not.a.jwt' } }));
    // Nothing else is sent: without the close the socket would stay open (acknowledged).
    expect(await closed).toEqual({ code: 4401, reason: 'token_invalid' });
    // Acknowledged (keep-alive pings aside), then closed: nothing else went out.
    expect(messages.map((m) => (JSON.parse(m) as { type: string }).type).filter((type) => type !== 'ping')).toEqual(['connection_ack']);
  });

  it('applies the limits to subscriptions too', async () => {
    const deep = client(wsUrl(t.baseUrl), alice.token).iterate({
      query: `subscription { myImages { owner { images { edges { node { owner { images { edges { node { owner { images { edges { cursor } } } } } } } } } } } } }`,
    });
    const outcome = await firstOutcome(deep);
    expect('error' in outcome).toBe(true);
    const invalid = client(wsUrl(t.baseUrl), alice.token).iterate({ query: `subscription { myImages { nope } }` });
    const bad = (await firstOutcome(invalid)) as { error: { extensions?: { code?: string } }[] };
    expect(bad.error[0]?.extensions?.code).toBe('graphql_validation_failed');
  });
  it('a deactivation ends an open subscription at its next message (account_deactivated), not at reconnect', { timeout: 180_000 }, async () => {
    const carol = await tokenFor(t, 'carol@example.com', 'user');
    const admin = await tokenFor(t, 'root@example.com', 'admin');
    const { imageId, position } = await upload(carol.token);
    await eventually(async () => {
      const res = await fetch(`${t.baseUrl}/v1/images/${imageId}?consistentWith=${position}`, { headers: { authorization: `Bearer ${admin.token}` } });
      const body = (await res.json()) as { status?: string };
      return body.status === 'analyzed' ? body : undefined;
    }, 'the upload analysed', 150_000);

    const sub = client(wsUrl(t.baseUrl), carol.token).iterate<{ myImages: { id: string; status: string } }>({ query: 'subscription { myImages { id status } }' });
    const next = firstOutcome(sub);
    const channel = liveTopics(t.runtime.config.redisKeyPrefix).owner(carol.userId);
    await eventually(async () => {
      const [, count] = (await t.runtime.redis.pubsub('NUMSUB', channel)) as [string, number];
      return count === 1;
    }, 'the subscription is in place');

    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    const gone = await identity.deactivate(carol.userId, 'test', { correlationId: 'test', actor: { id: admin.userId, kind: 'user', role: 'admin' } });
    await t.runtime.checkpoints.waitFor(['users'], gone!, 10_000);
    // A change to carol's image (an admin asks for a re-analysis): without the check at each
    // message, carol would receive it as `pending`.
    const again = await fetch(`${t.baseUrl}/v1/images/${imageId}/reanalyze`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` } });
    expect(again.status).toBe(202);
    const outcome = await next;
    expect(outcome).toHaveProperty('error');
    expect(JSON.stringify((outcome as { error: unknown }).error)).toContain('account_deactivated');
  });

  it('a logout ends an open subscription of that session at its next message (session_revoked)', { timeout: 60_000 }, async () => {
    const dave = await tokenFor(t, 'dave@example.com', 'user');
    // A second session of dave's: its socket outlives the logout of the first.
    const login = await fetch(`${t.baseUrl}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dave@example.com', password: PASSWORD }) });
    const session = (await login.json()) as { accessToken: string; refreshToken: string };

    const sub = client(wsUrl(t.baseUrl), session.accessToken).iterate<{ myImages: { id: string } }>({ query: 'subscription { myImages { id } }' });
    const next = firstOutcome(sub);
    const channel = liveTopics(t.runtime.config.redisKeyPrefix).owner(dave.userId);
    await eventually(async () => {
      const [, count] = (await t.runtime.redis.pubsub('NUMSUB', channel)) as [string, number];
      return count === 1;
    }, 'the subscription is in place');

    const out = await fetch(`${t.baseUrl}/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refreshToken }) });
    expect(out.status).toBe(204);
    // dave's other session uploads: the notice reaches the socket of the ended session.
    await upload(dave.token);
    const outcome = await next;
    expect(outcome).toHaveProperty('error');
    expect(JSON.stringify((outcome as { error: unknown }).error)).toContain('session_revoked');
  });
});
