// GraphQL queries over HTTP against a real app: auth and visibility with REST's codes, the Relay
// connection (cursor stability under concurrent inserts), loaders (SQL query counts), the limits
// (depth, cost, first, length, batching), admin-only fields, consistentWith, the schema endpoint.

import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageService } from '../../src/commands/images/image-service.js';
import { positionToCursor } from '../../src/eventstore/position.js';
import type { Position } from '../../src/eventstore/types.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';
import { imageEvents, userContext } from '../support/image-samples.js';
import { consentingOwner } from '../support/consent.js';

let t: TestApp;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let admin: { userId: string; token: string };
let images: ImageService;
/** Alice's images, oldest first. */
const aliceImages: string[] = [];
let bobImage = '';
let lastPosition = '';

interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; status?: number };
}
interface GqlBody<T> {
  data: T | null;
  errors?: GqlError[];
}

function gql<T = Record<string, unknown>>(query: string, token: string | undefined, variables?: Record<string, unknown>) {
  return call<GqlBody<T>>(t.baseUrl, 'POST', '/graphql', { body: { query, variables }, ...(token ? { token } : {}) });
}

const FACE = (i: number) => ({
  box: { x: 10 + i, y: 20, width: 30, height: 40 },
  score: 0.9,
  landmarks: Array.from({ length: 68 }, (_, k) => [k, k + 1] as [number, number]),
  descriptor: Array.from({ length: 128 }, (_, k) => (k + i) / 1000),
});

let png: Buffer;

/** An uploaded image, analysed with `faces` made-up faces when given (no worker runs here). */
async function seedImage(ownerId: string, faces?: number): Promise<{ imageId: string; position: Position }> {
  await consentingOwner(t.runtime.eventStore, ownerId);
  const up = await images.upload({ ownerId, filename: 'x.png', contentType: 'image/png', data: png, width: 8, height: 8 }, userContext(ownerId));
  if (faces === undefined) return up;
  const [uploaded] = await imageEvents(t.runtime.eventStore, up.imageId);
  const position = await images.recordAnalysis(
    up.imageId,
    { requestId: uploaded!.id, model: { name: 'm', version: '1', sha256: 'a'.repeat(64) }, faces: Array.from({ length: faces }, (_, i) => FACE(i)), durationMs: 5 },
    { actor: { id: 'worker:test', kind: 'system' }, correlationId: randomUUID() },
  );
  return { imageId: up.imageId, position: position! };
}

beforeAll(async () => {
  t = await startTestApp('graphql_queries', { CONSISTENCY_TIMEOUT_MS: '3000', GRAPHQL_MAX_QUERY_LENGTH: '2000' });
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  images = t.images;
  alice = await tokenFor(t, 'alice@example.com', 'user');
  bob = await tokenFor(t, 'bob@example.com', 'user');
  admin = await tokenFor(t, 'admin@example.com', 'admin');
  for (let i = 0; i < 6; i++) {
    const { imageId, position } = await seedImage(alice.userId, i % 3);
    aliceImages.push(imageId);
    lastPosition = positionToCursor(position);
  }
  const b = await seedImage(bob.userId, 1);
  bobImage = b.imageId;
  lastPosition = positionToCursor(b.position);
  const ready = await call(t.baseUrl, 'GET', `/v1/images?limit=1&consistentWith=${lastPosition}`, { token: admin.token });
  expect(ready.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const IMAGE_FIELDS = `id status filename owner { id email } faces { box { x y width height } score landmarks { x y } }`;

describe('GraphQL queries', () => {
  it('answers me, image (with faces, landmarks, descriptors and owner) the same as REST', async () => {
    const id = aliceImages[2]!; // two faces
    const res = await gql<{ me: { id: string; email: string; role: string }; image: { id: string; status: string; owner: { id: string }; faces: { score: number; landmarks: { x: number; y: number }[]; descriptor: number[] }[] } }>(
      `query($id: ID!, $c: String) { me(consistentWith: $c) { id email role } image(id: $id, consistentWith: $c) { id status owner { id } faces { score landmarks { x y } descriptor } } }`,
      alice.token,
      { id, c: lastPosition },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.me).toEqual({ id: alice.userId, email: 'alice@example.com', role: 'user' });
    const image = res.body.data!.image;
    expect(image.status).toBe('analyzed');
    expect(image.owner.id).toBe(alice.userId);
    expect(image.faces).toHaveLength(2);
    expect(image.faces[0]!.landmarks).toHaveLength(68);
    expect(image.faces[0]!.landmarks[3]).toEqual({ x: 3, y: 4 });
    const rest = await call<{ faces: { score: number; descriptor: number[] }[] }>(t.baseUrl, 'GET', `/v1/images/${id}?include=descriptor`, { token: alice.token });
    expect(image.faces.map((f) => f.descriptor)).toEqual(rest.body.faces.map((f) => f.descriptor));
    expect(image.faces[1]!.descriptor).toHaveLength(128);
  });

  it("never shows another user's image: null with image_not_found, and absent from lists", async () => {
    const res = await gql<{ image: null }>(`{ image(id: "${aliceImages[0]}") { id } }`, bob.token);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ image: null });
    expect(res.body.errors![0]!.extensions.code).toBe('image_not_found');
    expect(res.body.errors![0]!.path).toEqual(['image']);
    const unknown = await gql(`{ image(id: "not-a-uuid") { id } }`, bob.token);
    expect(unknown.body.errors![0]!.extensions.code).toBe('image_not_found');
    // A query seen twice runs compiled (graphql-jit): same answers, same errors.
    for (let i = 0; i < 3; i++) {
      const again = await gql(`{ image(id: "${aliceImages[0]}") { id } }`, bob.token);
      expect({ status: again.status, body: again.body }).toEqual({ status: res.status, body: res.body });
    }

    const list = await gql<{ images: { edges: { node: { id: string } }[] } }>(`{ images(first: 100) { edges { node { id } } } }`, bob.token);
    expect(list.body.data!.images.edges.map((e) => e.node.id)).toEqual([bobImage]);
    const all = await gql<{ images: { edges: { node: { id: string } }[] } }>(`{ images(first: 100) { edges { node { id } } } }`, admin.token);
    expect(all.body.data!.images.edges.map((e) => e.node.id).sort()).toEqual([...aliceImages, bobImage].sort());
  });

  it('refuses missing and bad tokens with the REST codes', async () => {
    const none = await gql(`{ me { id } }`, undefined);
    expect(none.body.errors![0]!.extensions.code).toBe('missing_token');
    expect(none.body.data).toEqual({ me: null });
    const bad = await gql(`{ images { edges { cursor } } }`, 'not.a.jwt');
    expect(bad.status).toBe(401); // no data at all (images is non-null): the error's status
    expect(bad.body.errors![0]!.extensions.code).toBe('token_invalid');
  });

  it('keeps admin-only fields for admins and auditors', async () => {
    const asUser = await gql(`{ users { edges { node { id } } } }`, alice.token);
    expect(asUser.status).toBe(403);
    expect(asUser.body.errors![0]!.extensions.code).toBe('forbidden');
    const other = await gql(`{ user(id: "${bob.userId}") { id } }`, alice.token);
    expect(other.body.data).toEqual({ user: null });
    expect(other.body.errors![0]!.extensions.code).toBe('user_not_found');
    const self = await gql<{ user: { id: string } }>(`{ user(id: "${alice.userId}") { id } }`, alice.token);
    expect(self.body.data!.user.id).toBe(alice.userId);
    const bobsImages = await gql(`{ image(id: "${aliceImages[0]}") { owner { images { edges { node { id } } } } } }`, bob.token);
    expect(bobsImages.body.errors![0]!.extensions.code).toBe('image_not_found');

    const auditor = await tokenFor(t, 'auditor@example.com', 'auditor');
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof gql<{ users: { edges: { cursor: string; node: { id: string; email: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> = await gql(
        `query($after: String) { users(first: 2, after: $after) { edges { cursor node { id email } } pageInfo { hasNextPage endCursor } } }`,
        auditor.token,
        { after },
      );
      expect(page.body.errors).toBeUndefined();
      seen.push(...page.body.data!.users.edges.map((e) => e.node.id));
      after = page.body.data!.users.pageInfo.hasNextPage ? page.body.data!.users.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining([alice.userId, bob.userId, admin.userId]));
  });

  it('pages through a connection with stable cursors while new images arrive', async () => {
    type Page = { images: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const q = `query($after: String, $c: String) { images(first: 2, after: $after, consistentWith: $c) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    const first = await gql<Page>(q, alice.token, { c: lastPosition });
    expect(first.body.data!.images.edges.map((e) => e.node.id)).toEqual([aliceImages[5], aliceImages[4]]);
    // Every edge cursor continues after its own node.
    const fromEdge = await gql<Page>(q, alice.token, { after: first.body.data!.images.edges[0]!.cursor });
    expect(fromEdge.body.data!.images.edges[0]!.node.id).toBe(aliceImages[4]);

    // Newer images arrive between pages: the walk neither repeats nor skips the older ones.
    const seen = first.body.data!.images.edges.map((e) => e.node.id);
    let after = first.body.data!.images.pageInfo.endCursor;
    let position = lastPosition;
    while (after) {
      position = positionToCursor((await seedImage(alice.userId)).position);
      const page = await gql<Page>(q, alice.token, { after, c: position });
      expect(page.body.errors).toBeUndefined();
      seen.push(...page.body.data!.images.edges.map((e) => e.node.id));
      after = page.body.data!.images.pageInfo.hasNextPage ? page.body.data!.images.pageInfo.endCursor : null;
    }
    expect(seen).toEqual([...aliceImages].reverse());

    const oldest = await gql<Page>(`{ images(first: 2, ordering: OLDEST_FIRST) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, alice.token);
    expect(oldest.body.data!.images.edges.map((e) => e.node.id)).toEqual([aliceImages[0], aliceImages[1]]);
    const wrongScope = await gql(q, alice.token, { after: oldest.body.data!.images.pageInfo.endCursor });
    expect(wrongScope.body.errors![0]!.extensions.code).toBe('invalid_cursor');
    const garbage = await gql(q, alice.token, { after: 'garbage' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.errors![0]!.extensions.code).toBe('invalid_cursor');
    const analysed = await gql<Page>(`{ images(first: 100, status: analyzed, uploadedFrom: "2000-01-01T00:00:00Z") { edges { node { id } } } }`, alice.token);
    expect(analysed.body.data!.images.edges.map((e) => e.node.id).sort()).toEqual([...aliceImages].sort()); // not the new, pending ones
    const range = await gql(`{ images(uploadedFrom: "2030-01-01T00:00:00Z", uploadedTo: "2020-01-01T00:00:00Z") { edges { cursor } } }`, alice.token);
    expect(range.body.errors![0]!.extensions.code).toBe('invalid_range');
  });

  it('loads owners and faces of a page with a constant number of SQL queries', async () => {
    const pool = t.runtime.pool;
    const original = pool.query.bind(pool);
    const count = async (first: number): Promise<{ queries: number; nodes: number }> => {
      let queries = 0;
      (pool as { query: unknown }).query = (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string }).text ?? '');
        if (/\brm\.(images|faces|users)\b/.test(text)) queries++;
        return (original as (...a: unknown[]) => unknown)(...args);
      };
      try {
        const res = await gql<{ images: { edges: { node: { faces: unknown[] } }[] } }>(
          `query($n: Int) { images(first: $n, ordering: OLDEST_FIRST) { edges { node { ${IMAGE_FIELDS} faces { descriptor } } } } }`,
          admin.token,
          { n: first },
        );
        expect(res.body.errors).toBeUndefined();
        return { queries, nodes: res.body.data!.images.edges.length };
      } finally {
        (pool as { query: unknown }).query = original;
      }
    };
    // The caller's account (role, status) is then in the read cache: no auth query below.
    expect((await gql(`{ me { id } }`, admin.token)).body.errors).toBeUndefined();
    const small = await count(2);
    const large = await count(100);
    expect(small.nodes).toBe(2);
    expect(large.nodes).toBeGreaterThanOrEqual(7);
    // page (rm.images) + owners (rm.users) + for the images not in the read cache yet, once for
    // faces and once for descriptors: their rows and their faces — whatever the page size.
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBe(6);
    // Asked again: page and faces come from the read cache, owners from PostgreSQL.
    const again = await count(100);
    expect(again.nodes).toBe(large.nodes);
    expect(again.queries).toBe(1);
  });

  it('refuses queries that are too deep, too costly, too long, batched, or ask for too many items', async () => {
    const deep = await gql(`{ me { images { edges { node { owner { images { edges { node { owner { images { edges { cursor } } } } } } } } } } } }`, alice.token);
    expect(deep.status).toBe(400);
    expect(deep.body.errors![0]!.extensions.code).toBe('query_too_deep');

    const costly = await gql(`{ users(first: 100) { edges { node { images(first: 100) { edges { node { faces { descriptor } } } } } } } }`, admin.token);
    expect(costly.status).toBe(400);
    expect(costly.body.errors![0]!.extensions.code).toBe('query_too_complex');
    // The cost follows the variables too.
    const viaVariables = await gql(`query($n: Int) { images(first: $n) { edges { node { faces { descriptor landmarks { x } } owner { images(first: $n) { edges { cursor } } } } } } }`, alice.token, { n: 100 });
    expect(viaVariables.body.errors![0]!.extensions.code).toBe('query_too_complex');

    const tooMany = await gql(`{ images(first: 101) { edges { cursor } } }`, alice.token);
    expect(tooMany.body.errors![0]!.extensions.code).toBe('validation_failed');
    const zero = await gql(`{ images(first: 0) { edges { cursor } } }`, alice.token);
    expect(zero.body.errors![0]!.extensions.code).toBe('validation_failed');

    const long = await gql(`{ me { id ${' '.repeat(2_100)} } }`, alice.token);
    expect(long.status).toBe(413);
    expect(long.body.errors![0]!.extensions.code).toBe('query_too_long');

    const batched = await call<GqlBody<unknown>>(t.baseUrl, 'POST', '/graphql', { token: alice.token, body: [{ query: '{ me { id } }' }, { query: '{ me { id } }' }] });
    expect(batched.status).toBe(400);
    expect(batched.body.errors![0]!.extensions.code).toBe('bad_request');

    const invalid = await gql(`{ me { nope } }`, alice.token);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors![0]!.extensions.code).toBe('graphql_validation_failed');
    const syntax = await gql(`{ me { `, alice.token);
    expect(syntax.body.errors![0]!.extensions.code).toBe('graphql_parse_failed');
  });

  it('waits for consistentWith like REST: projection_lagging on timeout, invalid_cursor on garbage', async () => {
    const { imageId, position } = await seedImage(alice.userId, 1);
    const res = await gql<{ image: { id: string; faces: unknown[] } }>(`query($c: String) { image(id: "${imageId}", consistentWith: $c) { id faces { score } } }`, alice.token, { c: positionToCursor(position) });
    expect(res.body.data!.image).toEqual({ id: imageId, faces: [{ score: 0.9 }] });
    const lagging = await gql(`{ images(consistentWith: "999999999999-999999999999") { edges { cursor } } }`, alice.token);
    expect(lagging.status).toBe(503);
    expect(lagging.body.errors![0]!.extensions).toMatchObject({ code: 'projection_lagging', retryAfterSeconds: 1 });
    const bad = await gql(`{ me(consistentWith: "yesterday") { id } }`, alice.token);
    expect(bad.body.errors![0]!.extensions.code).toBe('invalid_cursor');
  });

  it('answers stats, serves the schema as the code defines it, and leaves REST errors as problem+json', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const stats = await gql<{ stats: { day: string; uploads: number }[] }>(`{ stats(from: "${today}", to: "${today}") { day uploads } }`, bob.token);
    expect(stats.body.data!.stats).toEqual([{ day: today, uploads: 1 }]);
    const badDay = await gql(`{ stats(from: "tomorrow") { day } }`, bob.token);
    expect(badDay.body.errors![0]!.extensions.code).toBe('validation_failed');

    const sdl = await fetch(`${t.baseUrl}/graphql/schema.graphql`);
    expect(sdl.status).toBe(200);
    const text = await sdl.text();
    expect(text).toContain('type Image {');
    expect(text).toContain('imageUpdated(id: ID!, consistentWith: String): Image!');

    // GraphiQL is served by us, CDN-free: same-origin policy, every asset from this server.
    const graphiql = await fetch(`${t.baseUrl}/graphiql`);
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(graphiql.headers.get('content-security-policy')).not.toMatch(/https?:/);
    const page = await graphiql.text();
    const refs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBe(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/graphiql\//);
      const asset = await fetch(`${t.baseUrl}${ref}`);
      expect([ref, asset.status]).toEqual([ref, 200]);
      expect(asset.headers.get('content-type')).toMatch(ref.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect((await asset.text()).length).toBeGreaterThan(100);
    }
    expect((await fetch(`${t.baseUrl}/graphiql/assets/nope.js`)).status).toBe(404);

    const rest = await call(t.baseUrl, 'GET', '/v1/images/nope', { token: alice.token });
    expect(rest.headers.get('content-security-policy') ?? '').not.toContain('unpkg');
    expect(rest.status).toBe(400);
    expect(rest.headers.get('content-type')).toContain('application/problem+json');
  });
  it('auditEvents: the audit feed for auditors and admins, paged with the same cursors as REST; users are refused', async () => {
    const auditor = await tokenFor(t, 'feed-auditor@example.com', 'auditor');
    type Page = { auditEvents: { events: { id: string; type: string; stream: string; position: string; data: Record<string, unknown>; metadata: { actor?: { id: string } } }[]; nextCursor: string } };
    const query = `query($after: String, $first: Int, $types: [String!]) { auditEvents(after: $after, first: $first, types: $types) { events { id type stream position data metadata } nextCursor } }`;
    const first = await gql<Page>(query, auditor.token, { first: 3 });
    expect(first.body.errors).toBeUndefined();
    const page1 = first.body.data!.auditEvents;
    expect(page1.events).toHaveLength(3);
    const second = await gql<Page>(query, auditor.token, { first: 3, after: page1.nextCursor });
    const page2 = second.body.data!.auditEvents;
    // The same pages as the REST feed.
    const rest = await call<{ events: { id: string }[]; nextCursor: string }>(t.baseUrl, 'GET', '/v1/audit/events?limit=6', { token: auditor.token });
    expect([...page1.events, ...page2.events].map((e) => e.id)).toEqual(rest.body.events.map((e) => e.id));
    expect(page2.nextCursor).toBe(rest.body.nextCursor);
    // Filters, and secrets redacted.
    const registered = await gql<Page>(query, admin.token, { first: 100, types: ['UserRegistered'] });
    const users = registered.body.data!.auditEvents.events;
    expect(users.length).toBeGreaterThanOrEqual(3);
    expect(users.every((e) => e.type === 'UserRegistered' && e.data.passwordHash === '[redacted]')).toBe(true);
    // Plain users: forbidden; bad input: the REST codes.
    const refused = await gql(query, alice.token, { first: 3 });
    expect(refused.body.errors![0]!.extensions.code).toBe('forbidden');
    const badCursor = await gql(query, auditor.token, { after: 'not-a-cursor' });
    expect(badCursor.body.errors![0]!.extensions.code).toBe('invalid_cursor');
    const tooMany = await gql(query, auditor.token, { first: 1000 });
    expect(tooMany.body.errors![0]!.extensions.code).toBe('validation_failed');
  });
});
