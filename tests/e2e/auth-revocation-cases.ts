// The cases of auth-revocation*.test.ts: after a logout, a revoked refresh-token family, a
// deactivation or a demotion — each answered over HTTP — the VERY NEXT request with the old access
// token is refused (REST and GraphQL, memoised GraphQL answers included, and on a second API
// process over the same database and Redis), with no wait in between. Each old token is used
// twice before the change, so its account and session are cached (in Redis and in the process).
// `beforeChange` runs once everything is set up and cached, just before the first change (the
// Redis-down file cuts Redis there).

import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { latestWrittenPosition } from '../../support/database.js';
import type { TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';
import { userContext } from '../support/image-samples.js';
import { consentingOwner } from '../support/consent.js';

const PASSWORD = 'a perfectly fine password';
const PAGE = `query { images(first: 10) { edges { node { id } } } }`;
const ME = `{ me { id } }`;

type Pair = { accessToken: string; refreshToken: string };
type GqlAnswer = { data: Record<string, unknown> | null; errors?: { extensions: { code: string } }[] };

export function revocationCases(label: string, app: () => TestApp, beforeChange: () => Promise<void>): void {
  let t: TestApp;
  let other: FastifyInstance;
  const slug = label.replace(/[^a-z0-9]+/g, '-');
  const me = (token: string) => call<{ id?: string; code?: string }>(t.baseUrl, 'GET', '/v1/me', { token });
  const meOnOther = async (token: string) => {
    const res = await other.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.json<{ code?: string }>() };
  };
  const gql = async (query: string, token: string): Promise<GqlAnswer> => {
    const res = await fetch(`${t.baseUrl}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return (await res.json()) as GqlAnswer;
  };
  const pageIds = (a: GqlAnswer) => ((a.data?.images as { edges: { node: { id: string } }[] } | undefined)?.edges ?? []).map((e) => e.node.id);
  const login = async (email: string) => (await call<Pair>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password: PASSWORD } })).body;
  const register = async (email: string) => {
    const reg = await call<{ userId: string }>(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: email } });
    expect(reg.status).toBe(201);
    return reg.body.userId;
  };

  // Set up before any change.
  let loggedOut: Pair;
  let reused: { first: Pair; second: Pair };
  let leaving: { userId: string; pair: Pair };
  let staff: { userId: string; token: string };
  let admin: { userId: string; token: string };
  let othersImage: string;

  beforeAll(async () => {
    t = app();
    other = await buildApp(t.runtime); // a second API process: its own read cache and held entries
    await other.ready();

    await register(`out-${slug}@example.com`);
    await register(`reuse-${slug}@example.com`);
    const leavingId = await register(`leaving-${slug}@example.com`);
    const ownerId = await register(`owner-${slug}@example.com`);
    admin = await tokenFor(t, `admin-${slug}@example.com`, 'admin');
    staff = await tokenFor(t, `staff-${slug}@example.com`, 'admin');

    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    await consentingOwner(t.runtime.eventStore, ownerId);
    const uploaded = await t.images.upload({ ownerId, filename: 'o.png', contentType: 'image/png', data: png, width: 8, height: 8 }, userContext(ownerId));
    othersImage = uploaded.imageId;

    loggedOut = await login(`out-${slug}@example.com`);
    const first = await login(`reuse-${slug}@example.com`);
    const rotated = await call<Pair>(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    reused = { first, second: rotated.body };
    leaving = { userId: leavingId, pair: await login(`leaving-${slug}@example.com`) };
    await t.runtime.checkpoints.waitFor(['users', 'sessions', 'images'], await latestWrittenPosition(t.runtime.pool), 10_000);

    // Everything in use and cached (twice: the second is a hit), on both processes.
    for (const token of [loggedOut.accessToken, reused.first.accessToken, reused.second.accessToken, leaving.pair.accessToken, staff.token]) {
      for (let i = 0; i < 2; i++) {
        expect((await me(token)).status).toBe(200);
        expect((await meOnOther(token)).status).toBe(200);
      }
    }
    for (let i = 0; i < 2; i++) {
      expect((await call(t.baseUrl, 'GET', '/v1/audit/events?limit=1', { token: staff.token })).status).toBe(200);
      expect(pageIds(await gql(PAGE, staff.token))).toContain(othersImage); // memoised the second time
      expect((await gql(PAGE, loggedOut.accessToken)).errors).toBeUndefined();
      expect((await gql(ME, loggedOut.accessToken)).errors).toBeUndefined();
    }
    await beforeChange();
  }, 60_000);
  afterAll(async () => {
    await other.close();
  });

  describe(`access tokens end at once (${label})`, () => {
    it('after logout, the next request with the old access token is refused: session_revoked', async () => {
      const out = await call(t.baseUrl, 'POST', '/v1/auth/logout', { body: { refreshToken: loggedOut.refreshToken } });
      expect(out.status).toBe(204);
      const next = await me(loggedOut.accessToken);
      expect(next.status).toBe(401);
      expect(next.body.code).toBe('session_revoked');
      expect(await meOnOther(loggedOut.accessToken)).toMatchObject({ status: 401, body: { code: 'session_revoked' } });
      expect((await gql(ME, loggedOut.accessToken)).errors?.[0]?.extensions.code).toBe('session_revoked');
      // The memoised page of this caller is not answered either.
      const page = await gql(PAGE, loggedOut.accessToken);
      expect(page.errors?.[0]?.extensions.code).toBe('session_revoked');
      // And logging out again is fine (idempotent).
      expect((await call(t.baseUrl, 'POST', '/v1/auth/logout', { body: { refreshToken: loggedOut.refreshToken } })).status).toBe(204);
    });

    it('after refresh-token reuse (family revoked), every access token of the family is refused', async () => {
      const replay = await call(t.baseUrl, 'POST', '/v1/auth/refresh', { body: { refreshToken: reused.first.refreshToken } });
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ code: 'refresh_token_reused' });
      for (const token of [reused.second.accessToken, reused.first.accessToken]) {
        const next = await me(token);
        expect(next.status).toBe(401);
        expect(next.body.code).toBe('session_revoked');
        expect((await meOnOther(token)).status).toBe(401);
      }
    });

    it('after deactivation, the next request is refused: account_deactivated', async () => {
      const done = await call(t.baseUrl, 'POST', `/v1/admin/users/${leaving.userId}/deactivate`, { token: admin.token, body: { reason: 'test' } });
      expect(done.status).toBe(200);
      const next = await me(leaving.pair.accessToken);
      expect(next.status).toBe(401);
      expect(next.body.code).toBe('account_deactivated');
      expect(await meOnOther(leaving.pair.accessToken)).toMatchObject({ status: 401, body: { code: 'account_deactivated' } });
      expect((await gql(ME, leaving.pair.accessToken)).errors?.[0]?.extensions.code).toBe('account_deactivated');
    });

    it('after demotion, the next admin request is 403 and the memoised GraphQL answer is not served', async () => {
      const done = await call(t.baseUrl, 'POST', `/v1/admin/users/${staff.userId}/role`, { token: admin.token, body: { role: 'user' } });
      expect(done.status).toBe(200);
      const feed = await call(t.baseUrl, 'GET', '/v1/audit/events?limit=1', { token: staff.token });
      expect(feed.status).toBe(403);
      expect(feed.body).toMatchObject({ code: 'forbidden' });
      const page = await gql(PAGE, staff.token);
      expect(page.errors).toBeUndefined();
      expect(pageIds(page)).not.toContain(othersImage);
      const onOther = await other.inject({ method: 'GET', url: '/v1/audit/events?limit=1', headers: { authorization: `Bearer ${staff.token}` } });
      expect(onOther.statusCode).toBe(403);
    });
  });
}
