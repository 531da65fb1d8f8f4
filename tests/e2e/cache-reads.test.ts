// The Redis read cache behind GET /v1/images/{id} and GET /v1/images: a read after a miss is a
// hit with the same body; every change of the images projection (analysis result, reanalyze,
// delete, a new upload for the gallery) invalidates; after a command, a read with its position
// never gets an older entry — also inside the window between the projector's commit and its
// invalidation (simulated by writing stale entries into Redis); nobody gets another user's data.
// The analysis result is recorded with the command the worker uses (no model run needed).

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageService } from '../../src/commands/images/image-service.js';
import { cursorToPosition, positionToCursor } from '../../src/eventstore/position.js';
import { CacheKeys } from '../../src/queries/cache/cache-keys.js';
import type { CacheResult } from '../../src/queries/cache/read-cache.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventually } from '../../support/eventually.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { TEST_REDIS_URL } from '../../support/redis-test-prefix.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let redis: Redis;
let keys: CacheKeys;
let service: ImageService;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
const password = 'a perfectly fine password';
const counts = new Map<string, number>();
const count = (what: string) => counts.get(what) ?? 0;

interface ImageBody {
  imageId: string;
  ownerId: string;
  filename: string;
  status: string;
  faceCount: number | null;
  faces: { box: unknown; descriptor?: number[] }[];
}
type Page = { items: { imageId: string }[]; nextCursor: string | null };

async function register(email: string): Promise<{ token: string; userId: string }> {
  const reg = await call<{ userId: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } });
  await consentOverHttp(t.baseUrl, tok.body.accessToken);
  return { token: tok.body.accessToken, userId: reg.body.userId };
}

async function upload(token: string, name = 'p.jpg'): Promise<{ imageId: string; position: string }> {
  const f = new FormData();
  f.append('file', new Blob([await readSample(3)], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

const getImage = (id: string, token: string, query = '') => call<ImageBody>(t.baseUrl, 'GET', `/v1/images/${id}${query ? `?${query}` : ''}`, { token });
const listImages = (token: string, query = '') => call<Page>(t.baseUrl, 'GET', `/v1/images?limit=50${query ? `&${query}` : ''}`, { token });

const ctx = { correlationId: 'cache-test', actor: { id: 'analysis-worker', kind: 'system' as const } };

/** Records an analysis result for the image's upload, as the worker does; returns its position. */
async function recordAnalysis(imageId: string, faces: number): Promise<string> {
  const { rows } = await t.runtime.pool.query<{ id: string }>(`select id::text as id from es.events where stream = $1 and type = 'ImageUploaded'`, [`image-${imageId}`]);
  const descriptor = Array.from({ length: 128 }, (_, i) => Math.sin(i + faces) / 3);
  const position = await service.recordAnalysis(
    imageId,
    {
      requestId: rows[0]!.id,
      model: { name: 'test-model', version: '1', sha256: 'f'.repeat(64) },
      faces: Array.from({ length: faces }, (_, i) => ({ box: { x: 10 * i, y: 5, width: 40, height: 50 }, score: 0.9, landmarks: Array.from({ length: 68 }, (_, k) => [k, k + i] as [number, number]), descriptor })),
      durationMs: 12,
    },
    ctx,
  );
  return positionToCursor(position!);
}

/** Puts an entry into the image cache under the given generation, as a racing reader would. */
async function plant(imageId: string, variant: 'plain' | 'descriptor', generation: string, stamp: string, value: unknown): Promise<void> {
  const key = keys.image(imageId, variant);
  await redis.set(`${key.dataPrefix}${generation}${key.dataSuffix}`, JSON.stringify({ s: stamp, v: value }), 'EX', 60);
}

const generationOf = async (imageId: string) => (await redis.get(keys.imageGen(imageId)))!;

/**
 * Runs a command and waits until the projector's invalidation for it has run: every batch of the
 * images projection bumps the 'all' gallery generation last, in one pipeline. (The tests run one
 * command at a time and start no workers, so no other batch is in flight.)
 */
async function settled<T>(command: () => Promise<T>): Promise<T> {
  const before = await redis.get(keys.galleryGen('all'));
  const result = await command();
  await eventually(async () => (await redis.get(keys.galleryGen('all'))) !== before, 'the invalidation after the command');
  return result;
}

beforeAll(async () => {
  t = await startTestApp('cache_reads', {}, {}, { app: { onCacheResult: (cache: string, result: CacheResult) => counts.set(`${cache}:${result}`, count(`${cache}:${result}`) + 1) } });
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  keys = new CacheKeys(t.runtime.config.redisKeyPrefix);
  service = t.images;
  alice = await register('alice@example.com');
  bob = await register('bob@example.com');
});
afterAll(async () => {
  redis.disconnect();
  await t.stop();
});

describe('image reads', () => {
  it('a miss, then a hit with the same body; the descriptor variant is cached separately', async () => {
    const up = await settled(() => upload(alice.token));
    const misses = count('image:miss');
    const first = await getImage(up.imageId, alice.token, `consistentWith=${up.position}`);
    expect(first.status).toBe(200);
    expect(count('image:miss')).toBe(misses + 1);
    const hits = count('image:hit');
    const second = await getImage(up.imageId, alice.token);
    expect(count('image:hit')).toBe(hits + 1);
    expect(second.body).toEqual(first.body);

    const withDescriptors = await getImage(up.imageId, alice.token, 'include=descriptor');
    expect(count('image:miss')).toBe(misses + 2);
    expect(await getImage(up.imageId, alice.token, 'include=descriptor')).toMatchObject({ status: 200, body: withDescriptors.body });
    expect(count('image:hit')).toBe(hits + 2);
  });

  it('is invalidated by an analysis result, a reanalyze and a delete; a read with the position is never older', async () => {
    const up = await settled(() => upload(alice.token));
    expect((await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).body).toMatchObject({ status: 'pending', faces: [] });
    expect((await getImage(up.imageId, alice.token)).body.status).toBe('pending'); // cached

    const analyzed = await settled(() => recordAnalysis(up.imageId, 2));
    const fresh = await getImage(up.imageId, alice.token, `consistentWith=${analyzed}`);
    expect(fresh.body).toMatchObject({ status: 'analyzed', faceCount: 2 });
    expect(fresh.body.faces).toHaveLength(2);
    // Without a position, once the projector's invalidation (after its commit) has run.
    expect((await getImage(up.imageId, alice.token)).body.status).toBe('analyzed');
    const descriptors = await getImage(up.imageId, alice.token, `include=descriptor&consistentWith=${analyzed}`);
    expect(descriptors.body.faces.map((f) => f.descriptor?.length)).toEqual([128, 128]);

    const reanalyze = await settled(() => call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${up.imageId}/reanalyze`, { token: alice.token }));
    expect(reanalyze.status).toBe(202);
    expect((await getImage(up.imageId, alice.token, `consistentWith=${reanalyze.body.position}`)).body.status).toBe('pending');
    expect((await getImage(up.imageId, alice.token)).body.status).toBe('pending');

    const deleted = await settled(() => call<{ position: string }>(t.baseUrl, 'DELETE', `/v1/images/${up.imageId}`, { token: alice.token }));
    expect(deleted.status).toBe(202);
    expect((await getImage(up.imageId, alice.token, `consistentWith=${deleted.body.position}`)).status).toBe(404);
    expect((await listImages(alice.token, `consistentWith=${deleted.body.position}`)).body.items.map((i) => i.imageId)).not.toContain(up.imageId);
    expect((await getImage(up.imageId, alice.token)).status).toBe(404);
  });

  it('an entry stamped before the position is not served to a read with consistentWith (commit-to-invalidation window)', async () => {
    const up = await settled(() => upload(alice.token));
    const pendingBody = (await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).body;
    const analyzed = await settled(() => recordAnalysis(up.imageId, 1));

    // As if the invalidation had not happened yet: the old row, stamped at the upload, under the live generation.
    const { faces, ...image } = pendingBody;
    await plant(up.imageId, 'plain', await generationOf(up.imageId), up.position, { image, faces });
    // The planted entry is live: reads without a position, or with an older one, may see it.
    expect((await getImage(up.imageId, alice.token)).body.status).toBe('pending');
    expect((await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).body.status).toBe('pending');
    // A read with the analysis's position is not served the entry stamped before it …
    const withPosition = await getImage(up.imageId, alice.token, `consistentWith=${analyzed}`);
    expect(withPosition.body).toMatchObject({ status: 'analyzed', faceCount: 1 });
    // … and the fresh read replaces it.
    expect((await getImage(up.imageId, alice.token)).body.status).toBe('analyzed');
  });

  it('GraphQL page faces (one pipelined lookup) follow the same rule: no entry older than consistentWith', async () => {
    const up = await settled(() => upload(alice.token));
    const pendingBody = (await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).body;
    const analyzed = await settled(() => recordAnalysis(up.imageId, 2));
    const { faces: _none, ...image } = pendingBody;
    const planted = { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.123, landmarks: [] };
    await plant(up.imageId, 'plain', await generationOf(up.imageId), up.position, { image, faces: [planted] });
    const facesOnPage = async (consistentWith?: string) => {
      const args = consistentWith ? `, consistentWith: "${consistentWith}"` : '';
      const res = await call<{ data: { images: { edges: { node: { id: string; faces: { score: number }[] } }[] } } }>(t.baseUrl, 'POST', '/graphql', {
        token: alice.token,
        body: { query: `{ images(first: 100${args}) { edges { node { id faces { score } } } } }` },
      });
      expect(res.status).toBe(200);
      return res.body.data.images.edges.find((e) => e.node.id === up.imageId)!.node.faces.map((f) => f.score);
    };
    expect(await facesOnPage()).toEqual([0.123]); // the planted entry is live without a position
    expect(await facesOnPage(analyzed)).toEqual([0.9, 0.9]); // not served to a read that must see the analysis
  });

  it('a reader that writes after the invalidation writes under a dead generation', async () => {
    const up = await settled(() => upload(alice.token));
    const pendingBody = (await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).body;
    const before = await generationOf(up.imageId);
    const analyzed = await settled(() => recordAnalysis(up.imageId, 3));
    expect(BigInt(await generationOf(up.imageId))).toBeGreaterThan(BigInt(before));

    // The racing reader read the generation and the old row before the commit, and writes now
    // (even with a stamp that claims to be new).
    const { faces, ...image } = pendingBody;
    const far = positionToCursor({ commit: cursorToPosition(analyzed).commit + 1000n, prepare: 0n });
    await plant(up.imageId, 'plain', before, far, { image, faces });
    // Even a read whose position the planted stamp satisfies: the generation decides.
    expect((await getImage(up.imageId, alice.token, `consistentWith=${analyzed}`)).body).toMatchObject({ status: 'analyzed', faceCount: 3 });
    expect((await getImage(up.imageId, alice.token)).body).toMatchObject({ status: 'analyzed', faceCount: 3 });
  });

  it("another user never gets a cached image, whatever is in the cache", async () => {
    const up = await settled(() => upload(alice.token));
    expect((await getImage(up.imageId, alice.token, `consistentWith=${up.position}`)).status).toBe(200);
    const hits = count('image:hit');
    const asBob = await getImage(up.imageId, bob.token);
    expect(asBob.status).toBe(404);
    expect(asBob.body).toMatchObject({ code: 'image_not_found' });
    expect(count('image:hit')).toBe(hits + 1); // served from the cache entry, and still hidden
    expect((await getImage(up.imageId, bob.token, 'include=descriptor')).status).toBe(404);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${up.imageId}/content`, { token: bob.token })).status).toBe(404);
  });
});

describe('gallery pages', () => {
  it('a miss then a hit; a new upload shows with its position at once and without it after invalidation', async () => {
    const up = await settled(() => upload(alice.token));
    const misses = count('gallery:miss');
    const first = await listImages(alice.token, `consistentWith=${up.position}`);
    expect(first.status).toBe(200);
    expect(count('gallery:miss')).toBe(misses + 1);
    const hits = count('gallery:hit');
    expect((await listImages(alice.token)).body).toEqual(first.body);
    expect(count('gallery:hit')).toBe(hits + 1);

    const next = await settled(() => upload(alice.token));
    expect((await listImages(alice.token, `consistentWith=${next.position}`)).body.items[0]!.imageId).toBe(next.imageId);
    expect((await listImages(alice.token)).body.items[0]?.imageId).toBe(next.imageId);
  });

  it("another user's pages are their own, with the same query and even with the other's cursor", async () => {
    const a1 = await settled(() => upload(alice.token));
    const a2 = await settled(() => upload(alice.token));
    const b1 = await settled(() => upload(bob.token));
    const query = `limit=1&ordering=uploadedAt&consistentWith=${b1.position}`;
    const alicePage = await call<Page>(t.baseUrl, 'GET', `/v1/images?${query}`, { token: alice.token });
    expect(alicePage.body.items).toHaveLength(1);
    await call<Page>(t.baseUrl, 'GET', `/v1/images?${query}`, { token: alice.token }); // now surely cached
    const bobPage = await call<Page>(t.baseUrl, 'GET', `/v1/images?${query}`, { token: bob.token });
    expect(bobPage.body.items.map((i) => i.imageId)).toEqual([b1.imageId]);
    const bobWithAliceCursor = await call<Page>(t.baseUrl, 'GET', `/v1/images?${query}&cursor=${alicePage.body.nextCursor}`, { token: bob.token });
    expect(bobWithAliceCursor.status).toBe(200);
    for (const item of bobWithAliceCursor.body.items) expect([a1.imageId, a2.imageId]).not.toContain(item.imageId);
    const bobAll = await listImages(bob.token);
    expect(bobAll.body.items.map((i) => i.imageId)).toEqual([b1.imageId]);
  });
});
