// The GraphQL response memo (src/http/graphql/response-memo.ts) against a real app: the same
// query from the same caller is answered with the memoised body (same bytes, same headers) while
// every read-cache entry it was made from is current; an analysis, a reanalyze, a delete and a new
// upload each end it; callers never share one (not across users, not across a role change); and
// what is not made of read-cache entries alone (errors, owner, me) is never memoised.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import type { ImageService } from '../../src/commands/images/image-service.js';
import { latestWrittenPosition } from '../../support/database.js';
import { CacheKeys } from '../../src/queries/cache/cache-keys.js';
import type { CacheResult } from '../../src/queries/cache/read-cache.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { eventually } from '../../support/eventually.js';
import { call } from '../support/http.js';
import { imageEvents, userContext } from '../support/image-samples.js';
import { TEST_REDIS_URL } from '../../support/redis-test-prefix.js';
import sharp from 'sharp';
import { consentingOwner } from '../support/consent.js';

let t: TestApp;
let redis: Redis;
let keys: CacheKeys;
let images: ImageService;
let png: Buffer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let admin: { userId: string; token: string };
const counts = new Map<string, number>();
const count = (what: string) => counts.get(what) ?? 0;
const system = { correlationId: 'memo-test', actor: { id: 'worker:test', kind: 'system' as const } };

const IMAGE = `query($id: ID!) { image(id: $id) { id status faceCount faces { score landmarks { x y } } } }`;
const PAGE = `query { images(first: 10) { edges { node { id status faces { box { x y } } } } } }`;

interface Answer {
  status: number;
  text: string;
  contentType: string | null;
  json: { data: Record<string, unknown> | null; errors?: { extensions: { code: string } }[] };
}

async function gql(query: string, token: string, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${t.baseUrl}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  return { status: res.status, text, contentType: res.headers.get('content-type'), json: JSON.parse(text) as Answer['json'] };
}

/** Runs a command and waits until the images projection's invalidation for it has run (see cache-reads.test.ts). */
async function settled<T>(command: () => Promise<T>): Promise<T> {
  const before = await redis.get(keys.galleryGen('all'));
  const result = await command();
  await eventually(async () => (await redis.get(keys.galleryGen('all'))) !== before, 'the invalidation after the command');
  return result;
}

async function upload(ownerId: string): Promise<string> {
  await consentingOwner(t.runtime.eventStore, ownerId);
  return (await settled(() => images.upload({ ownerId, filename: 'm.png', contentType: 'image/png', data: png, width: 8, height: 8 }, userContext(ownerId)))).imageId;
}

async function analyse(imageId: string, faces: number): Promise<void> {
  const requested = (await imageEvents(t.runtime.eventStore, imageId)).filter((e) => e.type === 'ImageUploaded' || e.type === 'ImageAnalysisRequested').at(-1)!;
  await settled(() =>
    images.recordAnalysis(
      imageId,
      {
        requestId: requested.id,
        model: { name: 'm', version: '1', sha256: 'a'.repeat(64) },
        faces: Array.from({ length: faces }, (_, i) => ({ box: { x: i, y: 2, width: 3, height: 4 }, score: 0.5 + i / 10, landmarks: Array.from({ length: 68 }, (_, k) => [k + 0.25, k + i] as [number, number]), descriptor: Array.from({ length: 128 }, () => 0.1) })),
        durationMs: 3,
      },
      { ...system, correlationId: randomUUID() },
    ),
  );
}

/** Sends the query twice and tells whether the second answer came from the memo (and was the same). */
async function twice(query: string, token: string, variables?: Record<string, unknown>): Promise<{ memoised: boolean; second: Answer }> {
  const first = await gql(query, token, variables);
  const hits = count('graphql:hit');
  const second = await gql(query, token, variables);
  const memoised = count('graphql:hit') === hits + 1;
  if (memoised) {
    expect(second.text).toBe(first.text);
    expect(second.contentType).toBe(first.contentType);
  }
  return { memoised, second };
}

beforeAll(async () => {
  t = await startTestApp('graphql_response_memo', {}, {}, { app: { onCacheResult: (cache: string, result: CacheResult) => counts.set(`${cache}:${result}`, count(`${cache}:${result}`) + 1) } });
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  keys = new CacheKeys(t.runtime.config.redisKeyPrefix);
  images = t.images;
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  alice = await tokenFor(t, 'alice@example.com', 'user');
  bob = await tokenFor(t, 'bob@example.com', 'user');
  admin = await tokenFor(t, 'admin@example.com', 'admin');
  await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
}, 60_000);

afterAll(async () => {
  redis.disconnect();
  await t.stop();
});

describe('GraphQL response memo', () => {
  it('answers the same query from the same caller with the memoised body, the same headers included', async () => {
    const id = await upload(alice.userId);
    await analyse(id, 2);
    const { memoised, second } = await twice(IMAGE, alice.token, { id });
    expect(memoised).toBe(true);
    expect(second.status).toBe(200);
    expect(second.contentType).toBe('application/json; charset=utf-8');
    expect(second.json.data).toMatchObject({ image: { id, status: 'analyzed', faceCount: 2 } });
    // Other variables are another answer.
    const other = await upload(alice.userId);
    expect((await gql(IMAGE, alice.token, { id: other })).json.data).toMatchObject({ image: { id: other, status: 'pending' } });
  });

  it('is ended by an analysis result, a reanalyze and a delete of the image', async () => {
    const id = await upload(alice.userId);
    expect((await twice(IMAGE, alice.token, { id })).memoised).toBe(true);

    await analyse(id, 3);
    const analysed = await twice(IMAGE, alice.token, { id });
    expect(analysed.second.json.data).toMatchObject({ image: { status: 'analyzed', faceCount: 3 } });
    expect((analysed.second.json.data!.image as { faces: unknown[] }).faces).toHaveLength(3);
    expect(analysed.memoised).toBe(true);

    const reanalyze = await settled(() => call(t.baseUrl, 'POST', `/v1/images/${id}/reanalyze`, { token: alice.token }));
    expect(reanalyze.status).toBe(202);
    expect((await gql(IMAGE, alice.token, { id })).json.data).toMatchObject({ image: { status: 'pending' } });

    const deleted = await settled(() => call(t.baseUrl, 'DELETE', `/v1/images/${id}`, { token: alice.token }));
    expect(deleted.status).toBe(202);
    const gone = await twice(IMAGE, alice.token, { id });
    expect(gone.second.json.errors?.[0]?.extensions.code).toBe('image_not_found');
    expect(gone.memoised).toBe(false); // errors are never memoised
  });

  it('a gallery page is memoised and ended by a new upload', async () => {
    const owner = await tokenFor(t, 'gallery@example.com', 'user');
    const first = await upload(owner.userId);
    await analyse(first, 1);
    const page = await twice(PAGE, owner.token);
    expect(page.memoised).toBe(true);
    const second = await upload(owner.userId);
    const after = await gql(PAGE, owner.token);
    expect((after.json.data!.images as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id)).toEqual([second, first]);
  });

  it('is never shared between callers, nor across a role change of the same caller', async () => {
    const id = await upload(alice.userId);
    await analyse(id, 1);
    expect((await twice(IMAGE, alice.token, { id })).memoised).toBe(true);
    // Bob sends the very same request body: not Alice's answer.
    const bobs = await gql(IMAGE, bob.token, { id });
    expect(bobs.json.data).toEqual({ image: null });
    expect(bobs.json.errors?.[0]?.extensions.code).toBe('image_not_found');

    const staff = await tokenFor(t, 'staff@example.com', 'admin');
    await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
    const asAdmin = await twice(IMAGE, staff.token, { id });
    // Issue 16: an admin reading someone else's faces is an access record every time, so never memoised.
    expect(asAdmin.memoised).toBe(false);
    expect(asAdmin.second.json.data).toMatchObject({ image: { id } });
    const demoted = await new IdentityService(t.runtime.eventStore, t.runtime.tokens).changeRole(staff.userId, 'user', system);
    await t.runtime.checkpoints.waitFor(['users'], demoted!, 10_000);
    const afterDemotion = await gql(IMAGE, staff.token, { id });
    expect(afterDemotion.json.errors?.[0]?.extensions.code).toBe('image_not_found');
  });

  it('does not memoise what is not made of read-cache entries alone: errors, owner, me', async () => {
    const id = await upload(alice.userId);
    expect((await twice(IMAGE, alice.token, { id: randomUUID() })).memoised).toBe(false);
    expect((await twice(`query($id: ID!) { image(id: $id) { id owner { email } } }`, alice.token, { id })).memoised).toBe(false);
    expect((await twice(`{ me { email } }`, alice.token)).memoised).toBe(false);
    expect((await twice(`query($id: ID!) { image(id: $id) { id } me { email } }`, alice.token, { id })).memoised).toBe(false);
    // Admin-only fields: an error for a user, never memoised either.
    expect((await twice(`{ users(first: 1) { edges { node { id } } } }`, alice.token)).memoised).toBe(false);
    void admin;
  });
});
