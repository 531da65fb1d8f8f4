// Issue 16: "a crash between append and response never leaves content served without a record".
// The app is built over an event store that refuses every append to an access-log stream (a
// decorator in the test; the database is real): each biometric read by a non-subject then answers
// 503 access_log_unavailable and serves nothing — no faces, no bytes, no PNG, no GraphQL data —
// while the owner's own reads (not recorded) still succeed.

import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { ImageService } from '../../src/commands/images/image-service.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { loadConfig } from '../../src/config.js';
import { ACCESS_STREAM_PREFIX } from '../../src/domain/access/access-events.js';
import { decorateEventStore } from '../../src/eventstore/decorate.js';
import { EventStoreUnavailableError } from '../../src/eventstore/errors.js';
import { positionToCursor } from '../../src/eventstore/position.js';
import type { Position } from '../../src/eventstore/types.js';
import { buildApp } from '../../src/http/app.js';
import { startProjectors } from '../../src/projections/start-projectors.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { deleteRedisKeys } from '../../support/redis-test-prefix.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';

let db: TestDatabase;
let runtime: Runtime;
let app: FastifyInstance;
let projectors: ReturnType<typeof startProjectors>;
let baseUrl: string;
let prefix: string;
let refused = 0;
let alice: { userId: string; token: string };
let auditorToken: string;
let image: string;
let head: Position;

beforeAll(async () => {
  db = await createTestDatabase('h16c_access_refused');
  const suffix = randomBytes(4).toString('hex');
  prefix = `ft-test-access-refused-${suffix}:`;
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_KEY_PREFIX: prefix, JWT_DEV_KEY_FILE: path.join(os.tmpdir(), `facetrail-test-access-${suffix}.json`), AUTH_RATE_LIMIT_PER_MINUTE: '10000' });
  runtime = await startRuntime(config, testLogger);
  projectors = startProjectors(runtime);
  // The store refuses the access log's appends as a store that is down would.
  const refusing = decorateEventStore(runtime.eventStore, {
    append: (stream, events, opts) => {
      if (stream.startsWith(ACCESS_STREAM_PREFIX)) {
        refused++;
        return Promise.reject(new EventStoreUnavailableError('test: the store refuses access records'));
      }
      return runtime.eventStore.append(stream, events, opts);
    },
  });
  app = await buildApp({ ...runtime, eventStore: refusing });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  alice = await registerConsenting(baseUrl, { email: 'alice.refused@example.com', password: 'a perfectly fine password' });
  const identity = new IdentityService(runtime.eventStore, runtime.tokens);
  await identity.register({ email: 'auditor.refused@example.com', password: 'a perfectly fine password', displayName: 'auditor', role: 'auditor' }, { correlationId: 'test', actor: { id: 'cli', kind: 'system' } });
  auditorToken = (await call<{ accessToken: string }>(baseUrl, 'POST', '/v1/auth/token', { body: { email: 'auditor.refused@example.com', password: 'a perfectly fine password' } })).body.accessToken;
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#aa3366' } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'alice.jpg');
  const res = await fetch(`${baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` }, body: form });
  image = ((await res.json()) as { imageId: string }).imageId;
  let requestId: string | undefined;
  for await (const e of runtime.eventStore.readStream(`image-${image}`)) requestId = e.id;
  const faces = [{ box: { x: 4, y: 4, width: 20, height: 20 }, score: 0.9, landmarks: Array.from({ length: 68 }, (_, k) => [5 + (k % 20), 5 + (k % 15)] as [number, number]), descriptor: Array.from({ length: 128 }, (_, k) => k / 1000) }];
  const images = new ImageService(runtime.eventStore, new BlobStore(runtime.pool));
  head = (await images.recordAnalysis(image, { requestId: requestId!, model: { name: 'test-model', version: '1', sha256: 'a'.repeat(64) }, faces, durationMs: 5 }, { correlationId: 'test', actor: { id: 'worker', kind: 'system' } }))!;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.all((projectors ?? []).map((p) => p.stop()));
  await deleteRedisKeys(prefix, runtime.config.redisUrl).catch(() => undefined);
  await runtime?.close();
  await db?.drop().catch(() => undefined);
});

describe('an access record that cannot be written', () => {
  it('fails every biometric read by a non-subject with 503 and serves no biometric content', async () => {
    const at = positionToCursor(head);
    for (const p of [`/v1/images/${image}?consistentWith=${at}`, `/v1/images/${image}?include=descriptor&consistentWith=${at}`, `/v1/images/${image}/content?consistentWith=${at}`, `/v1/images/${image}/annotated?consistentWith=${at}`, '/v1/audit/events?type=ImageAnalyzed', `/v1/audit/streams/image-${image}`]) {
      const before = refused;
      const res = await fetch(`${baseUrl}${p}`, { headers: { authorization: `Bearer ${auditorToken}` } });
      const text = await res.text();
      expect(res.status, p).toBe(503);
      expect(res.headers.get('content-type'), p).toMatch(/^application\/problem\+json/);
      expect((JSON.parse(text) as { code: string }).code, p).toBe('access_log_unavailable');
      expect(text, p).not.toMatch(/landmarks|descriptor|"faces"/);
      expect(refused, p).toBe(before + 1);
    }
    const gql = await call<{ data: unknown; errors: { extensions: { code: string } }[] }>(baseUrl, 'POST', '/graphql', { token: auditorToken, body: { query: `{ image(id: "${image}", consistentWith: "${at}") { id faces { landmarks { x y } } } }` } });
    expect(gql.status).toBe(503);
    expect(gql.body.data).toBeNull();
    expect(gql.body.errors.map((e) => e.extensions.code)).toEqual(['access_log_unavailable']);
    // The export streams: the group holding faces is refused before it is written, so the body ends without it.
    const exp = await fetch(`${baseUrl}/v1/audit/export.ndjson`, { headers: { authorization: `Bearer ${auditorToken}` } });
    const body = await exp.text().catch(() => '');
    expect(body).not.toMatch(/landmarks/);
    // Nothing was recorded.
    for await (const e of runtime.eventStore.readAll()) expect(e.stream.startsWith(ACCESS_STREAM_PREFIX)).toBe(false);
  });

  it("the owner's own reads record nothing, so they are served", async () => {
    const res = await fetch(`${baseUrl}/v1/images/${image}?consistentWith=${positionToCursor(head)}`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { faces: unknown[] }).faces).toHaveLength(1);
  });
});
