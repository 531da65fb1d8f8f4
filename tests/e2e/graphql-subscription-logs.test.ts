// What the logs say (issue 19 item 13): one `request completed` line per request with method,
// route and status; one `image analysed` line per analysis job; a GraphQL subscription that ends because its image was deleted completes for
// the client and is not logged as an error.

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startWorkers } from '../../src/workers/start-workers.js';
import { eventually } from '../../support/eventually.js';
import { tokenFor } from '../support/audit.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { consentOverHttp } from '../support/consent.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { uploadOverHttp } from '../support/upload-over-http.js';

let t: TestApp;
/** An API over the same database and Redis prefix whose log lines are kept (level, msg, err). */
let api: { app: FastifyInstance; runtime: Runtime; url: string; lines: { level: number; msg: string; [k: string]: unknown }[] };
let client: Client;
let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;

const upload = async (token: string) => uploadOverHttp(t.baseUrl, token, await readSample(1), 'sample1.jpg');

beforeAll(async () => {
  t = await startTestApp('graphql_sub_logs');
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: t.db.url, REDIS_KEY_PREFIX: t.runtime.config.redisKeyPrefix, JWT_DEV_KEY_FILE: t.runtime.config.auth.devKeyFile, AUTH_RATE_LIMIT_PER_MINUTE: '10000' });
  const runtime = await startRuntime(config, pino({ level: 'info' }, sink));
  const app = await buildApp(runtime);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  api = { app, runtime, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, lines };
  workers = await startWorkers(runtime); // the analysis jobs of this test run here, logged to `lines`
}, 120_000);
afterAll(async () => {
  await client?.dispose();
  await workers?.stop();
  await api?.app.close();
  await api?.runtime.close();
  await t?.stop();
});

describe('request log', () => {
  it("'request completed' names the method, the route pattern and the status", async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const res = await fetch(`${api.url}/v1/images/${id}?include=descriptor`);
    expect(res.status).toBe(401);
    const line = api.lines.find((l) => l.msg === 'request completed' && l.path === `/v1/images/${id}`);
    expect(line).toMatchObject({ level: 30, method: 'GET', route: '/v1/images/:imageId', status: 401 });
    expect(typeof line?.ms).toBe('number');
    expect(api.lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
  });
});

describe('analysis log', () => {
  it("one 'image analysed' info line per job: image, faces, ms, model", { timeout: 120_000 }, async () => {
    const bob = await tokenFor(t, 'bob@example.com', 'user');
    await consentOverHttp(t.baseUrl, bob.token);
    const { imageId } = await upload(bob.token);
    const line = await eventually(() => Promise.resolve(api.lines.find((l) => l.msg === 'image analysed' && l.imageId === imageId)), `the analysis of ${imageId} is logged`, 90_000);
    expect(line).toMatchObject({ level: 30, imageId, faces: expect.any(Number) as number, ms: expect.any(Number) as number, model: expect.stringMatching(/^\S+@\S+$/) as string });
    expect(line.faces).toBeGreaterThan(0);
  });
});

describe('subscription logs', () => {
  it('a subscription ended by its image deletion completes and logs no error', async () => {
    const alice = await tokenFor(t, 'alice@example.com', 'user');
    await consentOverHttp(t.baseUrl, alice.token);
    const { imageId, position } = await upload(alice.token);
    client = createClient({ url: `${api.url.replace('http://', 'ws://')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${alice.token}` } });
    const iterator = client.iterate<{ imageUpdated: { id: string } }>({ query: `subscription { imageUpdated(id: "${imageId}", consistentWith: "${position}") { id } }` });
    const first = (await iterator.next()) as IteratorYieldResult<{ data?: { imageUpdated: { id: string } } | null }>;
    expect(first.value.data?.imageUpdated.id).toBe(imageId);
    const del = await call(t.baseUrl, 'DELETE', `/v1/images/${imageId}`, { token: alice.token });
    expect(del.status).toBeLessThan(300);
    // The deletion ends the subscription (complete): the iterator finishes.
    for (;;) if ((await iterator.next()).done) break;
    expect(api.lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
