// Hostile GraphQL requests over HTTP (issue 13, items 1, 4, 5): each is a coded 4xx, and none
// leaves memory behind. Large distinct variables do not grow the cost cache or the response memo,
// a body over GRAPHQL_MAX_BODY_BYTES is 413 body_too_large, variables nested deeper than
// GRAPHQL_MAX_VARIABLES_DEPTH are 400 variables_too_deep (20 000 levels overflowed the stack: 500),
// and a request of the wrong shape (a query that is not a string, or is JSON) is 400.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costCacheStats } from '../../src/http/graphql/limits.js';
import type { CacheResult } from '../../src/queries/cache/read-cache.js';
import { latestWrittenPosition } from '../../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';

interface GqlBody {
  data?: unknown;
  errors?: { message: string; extensions: { code: string; status: number } }[];
}

let t: TestApp;
let token: string;
const counts = new Map<string, number>();
const count = (key: string) => counts.get(key) ?? 0;
const MAX_DEPTH = 32;

/** A full garbage collection (the flag can be set at run time; `gc` then exists in a new context). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const post = (raw: string, auth?: string) => call<GqlBody>(t.baseUrl, 'POST', '/graphql', { raw, ...(auth ? { token: auth } : {}) });

/** `levels` nested arrays around 1, built as text (JSON.stringify would overflow the stack). */
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

beforeAll(async () => {
  t = await startTestApp('gql_hardening_http', { GRAPHQL_MAX_VARIABLES_DEPTH: String(MAX_DEPTH) }, {}, { app: { onCacheResult: (cache: string, result: CacheResult) => counts.set(`${cache}:${result}`, count(`${cache}:${result}`) + 1) } });
  token = (await tokenFor(t, 'mallory@example.com', 'user')).token;
  // The caller is projected (the memo authenticates before it answers).
  await t.runtime.checkpoints.waitFor(['users'], await latestWrittenPosition(t.runtime.pool), 10_000);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('GraphQL: bounded memory', () => {
  it('keeps nothing of large distinct variables (cost cache, response memo), anonymous or not', { timeout: 120_000 }, async () => {
    const filler = 'x'.repeat(200_000);
    // Signed in, a query the memo keeps (one read through the read cache).
    const send = async (i: number, auth?: string) => {
      const res = await post(JSON.stringify({ query: auth ? '{ images(first: 1) { edges { cursor } } }' : '{ __typename }', variables: { junk: `${i}-${filler}` } }), auth);
      expect(res.status).toBe(200);
    };
    // Warm up (the first request of a document parses and caches it once).
    for (let i = 0; i < 3; i++) await send(-1 - i, i % 2 ? token : undefined);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const costBefore = costCacheStats();
    for (let i = 0; i < 60; i++) await send(i);
    const stored = count('graphql:miss');
    for (let i = 0; i < 30; i++) await send(1_000 + i, token);
    expect(count('graphql:miss') - stored, 'the signed-in answers went into the response memo').toBe(30);
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    const cost = costCacheStats();
    // 90 × 200 kB of variables went through; before the fix the cost cache kept each as a key
    // (up to 100 per document: 18 MB) and the memo the signed-in ones in theirs (6 MB more).
    expect(grown, `heap grew by ${(grown / 1e6).toFixed(1)} MB`).toBeLessThan(8_000_000);
    expect(cost.bytes - costBefore.bytes).toBeLessThan(4_096);
  });

  it('answers 413 body_too_large for a body over GRAPHQL_MAX_BODY_BYTES (256 KiB), in the GraphQL error shape', async () => {
    const res = await post(JSON.stringify({ query: '{ __typename }', variables: { junk: 'x'.repeat(300 * 1024) } }));
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.extensions.code).toBe('body_too_large');
    const graphqlBody = await call<GqlBody>(t.baseUrl, 'POST', '/graphql', { raw: `{ __typename ${' '.repeat(300 * 1024)} }`, headers: { 'content-type': 'application/graphql' } });
    expect(graphqlBody.status).toBe(413);
    expect(graphqlBody.body.errors?.[0]?.extensions.code).toBe('body_too_large');
  });
});

describe('GraphQL: variables nested too deep', () => {
  it('answers 400 variables_too_deep for 20 000 levels (was a stack overflow: 500), with or without a caller', async () => {
    for (const auth of [undefined, token]) {
      const res = await post(`{"query":"{ __typename }","variables":{"a":${nested(20_000)}}}`, auth);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions.code).toBe('variables_too_deep');
    }
    const declared = await post(`{"query":"query($a: [Int]) { __typename }","variables":{"a":${nested(20_000)}}}`, token);
    expect(declared.status).toBe(400);
    expect(declared.body.errors?.[0]?.extensions.code).toBe('variables_too_deep');
  });

  it('accepts the limit exactly and refuses one more, over POST and GET', async () => {
    // The variables object is level 1.
    const at = await post(`{"query":"{ __typename }","variables":{"a":${nested(MAX_DEPTH - 1)}}}`);
    expect(at.status).toBe(200);
    const over = await post(`{"query":"{ __typename }","variables":{"a":${nested(MAX_DEPTH)}}}`);
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]?.extensions.code).toBe('variables_too_deep');
    const get = (variables: string) => call<GqlBody>(t.baseUrl, 'GET', `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(variables)}`);
    expect((await get(`{"a":${nested(MAX_DEPTH - 1)}}`)).status).toBe(200);
    const deepGet = await get(`{"a":${nested(2_000)},"s":"]]]"}`);
    expect(deepGet.status).toBe(400);
    expect(deepGet.body.errors?.[0]?.extensions.code).toBe('variables_too_deep');
    // Brackets inside strings are not nesting.
    expect((await get(`{"s":"${'['.repeat(100)}"}`)).status).toBe(200);
  });
});

describe('GraphQL: requests of the wrong shape', () => {
  it('answers 400 with a code when query, variables or operationName have the wrong type', async () => {
    const cases = [
      '{"query":123}',
      '{"query":true}',
      '{"query":["{ __typename }"]}',
      '{"query":{"kind":"Document","definitions":[]}}',
      '{"query":"{ __typename }","variables":"{}"}',
      '{"query":"{ __typename }","variables":[1]}',
      '{"query":"{ __typename }","operationName":5}',
      '{"query":"{ __typename }","operationName":["a"]}',
      '{"query":"{ __typename }","extensions":[1]}',
      '"{ __typename }"',
      '42',
    ];
    for (const raw of cases) {
      for (const auth of [undefined, token]) {
        const res = await post(raw, auth);
        expect(res.status, raw).toBe(400);
        expect(res.body.errors?.[0]?.extensions.code, raw).toBe('bad_request');
      }
    }
  });

  it('answers 400 graphql_parse_failed for a query text that is JSON (mercurius would take it for a document: 500)', async () => {
    for (const query of ['123', '"x"', 'null', '[1]', '{"kind":"Document","definitions":[]}', ' { "kind": "Document" } ']) {
      const res = await post(JSON.stringify({ query }));
      expect(res.status, query).toBe(400);
      expect(res.body.errors?.[0]?.extensions.code, query).toBe('graphql_parse_failed');
    }
    // A missing query stays query_missing; GraphQL texts that start like JSON still work.
    const missing = await post('{"query":null}');
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.[0]?.extensions.code).toBe('query_missing');
    expect((await post(JSON.stringify({ query: 'fragment F on Query { __typename } { ...F }' }))).status).toBe(200);
  });

  it('answers 400 for a variable that does not fit its type (an unknown enum value was a 500)', async () => {
    const res = await post(JSON.stringify({ query: 'query($s: ImageStatus) { images(status: $s) { edges { cursor } } }', variables: { s: 'analyzd' } }), token);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions.code).toBe('graphql_validation_failed');
    expect(res.body.errors?.[0]?.message).toMatch(/Did you mean the enum value "analyzed"/);
  });

  it('outside production, field suggestions are still given', async () => {
    const res = await post(JSON.stringify({ query: '{ imags { edges { cursor } } }' }), token);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toMatch(/Did you mean .*"images"/);
  });
});
