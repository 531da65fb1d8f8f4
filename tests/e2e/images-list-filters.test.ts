// GET /v1/images filters and ordering: status, uploaded-at range (inclusive from, exclusive to),
// oldest or newest first, and cursors that only continue the listing they were issued for.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let alice: string;
let bob: string;
/** Alice's uploads, oldest first. */
const ids: string[] = [];
let lastPosition = '';
const password = 'a perfectly fine password';

interface Item {
  imageId: string;
  uploadedAt: string;
  status: string;
}
type Page = { items: Item[]; nextCursor: string | null };

async function tokenFor(email: string): Promise<string> {
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: email } });
  const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  return token;
}

async function upload(token: string): Promise<{ imageId: string; position: string }> {
  const f = new FormData();
  f.append('file', new Blob([await readSample(2)], { type: 'image/jpeg' }), 'p.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

const list = (query: string, token = alice) => call<Page>(t.baseUrl, 'GET', `/v1/images?consistentWith=${lastPosition}&${query}`, { token });

/** Every page of a listing, following nextCursor. */
async function all(query: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const res: Awaited<ReturnType<typeof list>> = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.items.map((i) => i.imageId));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

beforeAll(async () => {
  t = await startTestApp('images_list_filters');
  alice = await tokenFor('alice@example.com');
  bob = await tokenFor('bob@example.com');
  for (let i = 0; i < 5; i++) {
    const up = await upload(alice);
    ids.push(up.imageId);
    lastPosition = up.position;
  }
  lastPosition = (await upload(bob)).position;
});
afterAll(async () => {
  await t.stop();
});

describe('GET /v1/images ordering', () => {
  it('is newest first by default and with ordering=-uploadedAt, oldest first with ordering=uploadedAt, over every page', async () => {
    const newest = [...ids].reverse();
    expect(await all('', 2)).toEqual(newest);
    expect(await all('ordering=-uploadedAt', 2)).toEqual(newest);
    expect(await all('ordering=uploadedAt', 2)).toEqual(ids);
    expect(await all('ordering=uploadedAt', 100)).toEqual(ids);
  });
});

describe('GET /v1/images filters', () => {
  it('from is inclusive and to exclusive, in either ordering', async () => {
    const items = (await list('ordering=uploadedAt&limit=100')).body.items;
    expect(items.map((i) => i.imageId)).toEqual(ids);
    const from = items[1]!.uploadedAt;
    const to = items[3]!.uploadedAt;
    expect(await all(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&ordering=uploadedAt`, 1)).toEqual(ids.slice(1, 3));
    expect(await all(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, 1)).toEqual(ids.slice(1, 3).reverse());
    expect(await all(`from=${encodeURIComponent(from)}`, 100)).toEqual(ids.slice(1).reverse());
    expect(await all(`to=${encodeURIComponent(to)}`, 100)).toEqual(ids.slice(0, 3).reverse());
    // The same instant in another spelling is the same filter.
    const offset = new Date(Date.parse(from)).toISOString().replace('Z', '+00:00');
    expect(await all(`from=${encodeURIComponent(offset)}&to=${encodeURIComponent(to)}`, 1)).toEqual(ids.slice(1, 3).reverse());
  });

  it('status filters (nothing is analysed without workers)', async () => {
    expect(await all('status=pending', 2)).toEqual([...ids].reverse());
    expect(await all('status=analyzed', 2)).toEqual([]);
  });

  it('a user still sees only their own images, whatever the filters', async () => {
    const res = await list('ordering=uploadedAt&from=2000-01-01T00:00:00Z&limit=100', bob);
    expect(res.body.items).toHaveLength(1);
    expect(ids).not.toContain(res.body.items[0]!.imageId);
  });
});

describe('GET /v1/images bad input', () => {
  it('bad values get a 400 problem with a code', async () => {
    const cases: [string, string][] = [
      ['ordering=name', 'validation_failed'],
      ['ordering=', 'validation_failed'],
      ['from=yesterday', 'validation_failed'],
      ['to=2024-13-01T00:00:00Z', 'validation_failed'],
      ['from=2024-01-01', 'validation_failed'],
      ['status=lost', 'validation_failed'],
      ['from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z', 'invalid_range'],
      ['cursor=garbage', 'invalid_cursor'],
    ];
    for (const [query, code] of cases) {
      const res = await list(query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type'), query).toContain('application/problem+json');
      expect(res.body, query).toMatchObject({ status: 400, code });
    }
  });

  it('a cursor used with another ordering or other filters is invalid_cursor', async () => {
    const first = await list('limit=1&status=pending');
    const cursor = first.body.nextCursor!;
    expect(cursor).toBeTruthy();
    expect((await list(`limit=1&status=pending&cursor=${cursor}`)).status).toBe(200);
    expect((await list(`limit=3&status=pending&cursor=${cursor}`)).status).toBe(200); // the limit may change
    for (const other of ['', 'ordering=uploadedAt&status=pending', 'status=analyzed', 'status=pending&from=2000-01-01T00:00:00Z', 'status=pending&to=2100-01-01T00:00:00Z']) {
      const res = await list(`limit=1&${other}&cursor=${cursor}`);
      expect(res.status, other).toBe(400);
      expect(res.body, other).toMatchObject({ code: 'invalid_cursor' });
    }
  });
});
