// Issue 15's proof of erasure: after an image is erased and then the whole account, neither the
// e-mail address nor any descriptor value the API printed before is anywhere — not in a pg_dump of
// the whole database, the NDJSON export, the audit feed, GraphQL, time travel at every past
// position, the Redis keys or /metrics — while the facts of what happened stay in the log.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/types.js';
import { take } from '../integration/eventstore/contract.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { eventually } from '../../support/eventually.js';
import { readSample } from '../../support/sample-photos.js';

const run = promisify(execFile);
let t: TestApp;
let auditor: string;
let admin: string;
const email = `erase.me.${Date.now()}@example.org`;
const displayName = 'Erasable Person';
const filename = 'holiday-with-erasable-person.jpg';

interface Face {
  descriptor: number[];
}

async function upload(token: string, bytes: Buffer, name: string): Promise<string> {
  const f = new FormData();
  f.append('file', new Blob([bytes], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return ((await res.json()) as { imageId: string }).imageId;
}

async function analysed(imageIds: string[]): Promise<RecordedEvent[]> {
  const sub = t.runtime.eventStore.subscribe({ from: 'start', filter: { streamPrefixes: imageIds.map((id) => `image-${id}`), eventTypes: ['ImageAnalyzed', 'ImageAnalysisFailed'] } });
  try {
    return await take(sub, imageIds.length, 120_000);
  } finally {
    await sub.close();
  }
}

/** Everything an auditor or admin can read, as text. */
async function everythingReadable(userId: string, imageIds: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const text = async (path: string, token: string) => {
    const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return `${res.status} ${await res.text()}`;
  };
  out.export = await text('/v1/audit/export.ndjson', auditor);
  let page = '';
  let after = '';
  const feed: string[] = [];
  for (let i = 0; i < 50; i++) {
    page = await text(`/v1/audit/events?limit=500${after ? `&after=${after}` : ''}`, auditor);
    feed.push(page);
    const next = (JSON.parse(page.slice(page.indexOf(' ') + 1)) as { events: unknown[]; nextCursor: string }) ;
    if (next.events.length === 0) break;
    after = next.nextCursor;
  }
  out.feed = feed.join('\n');
  out.userStream = await text(`/v1/audit/streams/user-${userId}`, auditor);
  const positions: string[] = [];
  for (const id of imageIds) {
    out[`imageStream ${id}`] = await text(`/v1/audit/streams/image-${id}`, auditor);
    for await (const e of t.runtime.eventStore.readStream(`image-${id}`)) positions.push(`${e.position.commit}-${e.position.prepare}`);
  }
  // Time travel at every position any of the images had, as an admin (who may see every image).
  for (const id of imageIds) {
    for (const p of positions) out[`asOf ${id} ${p}`] = await text(`/v1/images/${id}?asOf=${p}&include=descriptor`, admin);
    out[`annotated ${id}`] = await text(`/v1/images/${id}/annotated`, admin);
  }
  out.user = await text(`/v1/admin/users/${userId}`, admin);
  out.users = await text('/v1/admin/users?limit=100', admin);
  const gql = await fetch(`${t.baseUrl}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `{ images(first: 50) { edges { node { id faces { score box { x y width height } landmarks { x y } descriptor } } } }
               auditEvents(first: 500) { events { type stream data metadata } } }`,
    }),
  });
  out.graphql = `${gql.status} ${await gql.text()}`;
  out.metrics = await text('/metrics', admin);
  return out;
}

async function redisDump(): Promise<string> {
  const redis = new Redis(t.runtime.config.redisUrl);
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${t.runtime.config.redisKeyPrefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'string') parts.push(`${key}=${(await redis.getBuffer(key))?.toString('latin1') ?? ''}`);
        else if (type === 'hash') parts.push(key, JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') parts.push(key, JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') parts.push(key, JSON.stringify(await redis.zrange(key, 0, -1)));
        else if (type === 'stream') parts.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
        else parts.push(key);
      }
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

async function pgDump(): Promise<string> {
  const { stdout } = await run('pg_dump', ['--no-owner', '--data-only', t.db.url], { maxBuffer: 1024 * 1024 * 1024 });
  return stdout;
}

/** The secrets in `haystacks`: which needle appears where. */
function leaks(haystacks: Record<string, string>, needles: string[]): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) for (const n of needles) if (text.includes(n)) found.push(`${n} in ${where}`);
  return found;
}

beforeAll(async () => {
  t = await startTestApp('erasure_leaks', {}, {}, { workers: true });
  auditor = (await tokenFor(t, 'auditor.leaks@example.com', 'auditor')).token;
  admin = (await tokenFor(t, 'admin.leaks@example.com', 'admin')).token;
}, 120_000);
afterAll(async () => {
  await t.stop();
});

describe('erasure leaves nothing readable', () => {
  it('an erased image, then the erased account: no e-mail, name, filename or descriptor anywhere; the facts stay', { timeout: 300_000 }, async () => {
    const user = await registerConsenting(t.baseUrl, { email, password: 'a long enough password', displayName });
    const imageIds = [await upload(user.token, await readSample(2), filename), await upload(user.token, await readSample(3), `second-${filename}`)];
    const results = await analysed(imageIds);
    expect(results.every((e) => e.type === 'ImageAnalyzed')).toBe(true);
    const cursor = results.map((e) => `${e.position.commit}-${e.position.prepare}`).sort().at(-1)!;

    // Descriptor values as the API printed them (float32, shortest digits) and as the audit feed did (the stored float64).
    const needles = new Set<string>([email, displayName, filename]);
    for (const id of imageIds) {
      const res = await fetch(`${t.baseUrl}/v1/images/${id}?include=descriptor&consistentWith=${cursor}`, { headers: { authorization: `Bearer ${user.token}` } });
      const text = await res.text();
      const body = JSON.parse(text) as { faces: Face[] };
      expect(body.faces.length).toBeGreaterThan(0);
      for (const face of body.faces.slice(0, 2)) for (const d of face.descriptor.slice(0, 6)) if (String(Math.abs(d)).length >= 9) needles.add(String(d));
    }
    const audit = await (await fetch(`${t.baseUrl}/v1/audit/export.ndjson`, { headers: { authorization: `Bearer ${auditor}` } })).text();
    for (const line of audit.trim().split('\n')) {
      const e = JSON.parse(line) as { type: string; data: { faces?: Face[] } };
      if (e.type === 'ImageAnalyzed' && Array.isArray(e.data.faces)) for (const d of e.data.faces[0]!.descriptor.slice(0, 4)) needles.add(String(d));
    }
    const secrets = [...needles];
    expect(secrets.length).toBeGreaterThan(10);
    // Before erasure the check finds them (it can fail).
    expect(leaks({ dump: await pgDump(), ...(await everythingReadable(user.userId, imageIds)) }, secrets).length).toBeGreaterThan(0);

    // Erase one image, then the account.
    const del = await fetch(`${t.baseUrl}/v1/images/${imageIds[0]}`, { method: 'DELETE', headers: { authorization: `Bearer ${user.token}` } });
    expect(del.status).toBeLessThan(300);
    const erase = await call<{ erasureId: string; receipt?: string }>(t.baseUrl, 'POST', '/v1/me/erasure', { token: user.token });
    expect([200, 202]).toContain(erase.status);
    expect(erase.body.receipt, `the account erasure completes within the request: ${JSON.stringify(erase.body)}`).toBeDefined();

    // The read cache's entries are deleted by the images projection's after-commit hook, which may
    // run a moment after the receipt: wait for it (bounded), then look everywhere.
    const redisLeaks = async () => leaks(Object.fromEntries((await redisDump()).split('\n').map((entry, i) => [`redis ${entry.split('=')[0]} #${i}`, entry])), secrets);
    await eventually(async () => (await redisLeaks()).length === 0 || undefined, 'the erased content leaves the read cache', 15_000).catch(async () => {
      expect(await redisLeaks()).toEqual([]);
    });
    const redisText = await redisDump();
    const readable = { dump: await pgDump(), ...Object.fromEntries(redisText.split('\n').map((entry, i) => [`redis ${entry.split('=')[0]} #${i}`, entry])), ...(await everythingReadable(user.userId, imageIds)) };
    expect(leaks(readable, secrets)).toEqual([]);

    // The facts stay: the uploads, analyses (with their face counts and model hashes) and the erasure are all in the log.
    const types = (await (await fetch(`${t.baseUrl}/v1/audit/export.ndjson`, { headers: { authorization: `Bearer ${auditor}` } })).text())
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string; stream: string }))
      .filter((e) => imageIds.some((id) => e.stream === `image-${id}`) || e.stream === `user-${user.userId}`)
      .map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['UserRegistered', 'ImageUploaded', 'ImageAnalyzed', 'ImageErased', 'UserErased']));
  });
});
