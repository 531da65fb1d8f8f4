// `npm run bench -- reads`: one image with its faces, read over loopback HTTP at 32 connections
// (autocannon in a worker thread), through the Redis read cache and without it (READ_CACHE=off):
//   - GET /v1/images/{id} (image + 4 faces with 68 landmarks each, no descriptors);
//   - the same data through POST /graphql `{ image(id) { … faces { box score landmarks } } }`,
//     when the GraphQL endpoint is there; cached with the response memo (the default), and with
//     the read cache alone (GRAPHQL_RESPONSE_MEMO_MB=0: the query executed on every request).
// Both apps run in this process over one database and one runtime; only the cache flag differs
// (READ_CACHE=off turns off the GraphQL response memo and REST's kept bodies as well: both rest on
// the read cache's entries).
// Every request is authenticated (JWT verify + the users read model), as in production.
// Targets (issue 6): cached REST ≥ 3× uncached throughput, p99 < 10 ms; GraphQL within 1.5× of REST.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import sharp from 'sharp';
import { BlobStore } from '../src/blobs/blob-store.js';
import { ImageService } from '../src/commands/images/image-service.js';
import type { Config } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { startProjectors } from '../src/projections/start-projectors.js';
import { CachedImagesQuery } from '../src/queries/images/cached-images-query.js';
import { ReadCache } from '../src/queries/cache/read-cache.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { deleteRedisKeys } from '../support/redis-test-prefix.js';
import { autocannonRow, type Row } from './autocannon-row.js';
import { printTable, writeResults } from './results-file.js';
import { benchConfig, benchDatabase, benchDatabaseName, percentile } from './support.js';


const GRAPHQL_IMAGE = `query($id: ID!) { image(id: $id) {
  id filename contentType bytes width height sha256 status faceCount analysisMs uploadedAt analyzedAt updatedAt
  model { name version sha256 } error { code message }
  faces { box { x y width height } score landmarks { x y } } } }`;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** One registered user with one analysed image (the worker's result recorded by its command). */
async function seed(rt: Runtime, base: string): Promise<{ token: string; imageId: string; position: string }> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const json = { 'content-type': 'application/json' };
  const reg = await fetch(`${base}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password, displayName: 'Bench' }) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  const { accessToken: token } = (await login.json()) as { accessToken: string };
  // Consent to face analysis under the published policy, where the service asks for it (issue 15).
  const policy = await fetch(`${base}/v1/privacy/policy`);
  if (policy.status === 200) {
    const { version } = (await policy.json()) as { version: string };
    const consent = await fetch(`${base}/v1/me/consents`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ purpose: 'face_analysis', policyVersion: version }) });
    if (consent.status >= 300) throw new Error(`consent: ${consent.status} ${await consent.text()}`);
  }

  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a8b99' } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'bench.jpg');
  const up = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (up.status !== 202) throw new Error(`upload: ${up.status} ${await up.text()}`);
  const { imageId } = (await up.json()) as { imageId: string };

  const { rows } = await rt.pool.query<{ id: string }>(`select id::text as id from es.events where stream = $1 and type = 'ImageUploaded'`, [`image-${imageId}`]);
  const faces = Array.from({ length: 4 }, (_, i) => ({
    box: { x: 40 + 120 * i, y: 60, width: 100, height: 120 },
    score: 0.9 - i / 100,
    landmarks: Array.from({ length: 68 }, (_, k) => [40 + 120 * i + (k % 17) * 5.5, 60 + Math.floor(k / 17) * 20.25] as [number, number]),
    descriptor: Array.from({ length: 128 }, (_, k) => Math.sin(k * (i + 1)) / 4),
  }));
  const service = new ImageService(rt.eventStore, new BlobStore(rt.pool));
  const position = await service.recordAnalysis(
    imageId,
    { requestId: rows[0]!.id, model: { name: 'bench', version: '1', sha256: '0'.repeat(64) }, faces, durationMs: 42 },
    { correlationId: 'bench-reads', actor: { id: 'bench', kind: 'system' } },
  );
  return { token, imageId, position: `${position!.commit}-${position!.prepare}` };
}

/** `op` from 32 concurrent loops for `seconds`, in process (no HTTP, no authentication). */
async function inProcess(name: string, seconds: number, op: () => Promise<unknown>): Promise<Row> {
  const latencies: number[] = [];
  const run = async (until: number) => {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await op();
          latencies.push(performance.now() - t0);
        }
      }),
    );
  };
  await run(performance.now() + 1000); // warm-up
  latencies.length = 0;
  const started = performance.now();
  await run(started + seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { case: name, n: latencies.length, 'req/s': latencies.length / elapsed, 'p50 ms': percentile(latencies, 50), 'p99 ms': percentile(latencies, 99), note: '32 in flight' };
}

async function measure(name: string, opts: autocannon.Options, seconds: number): Promise<Row> {
  await autocannon({ ...opts, duration: 1, workers: 1 }); // warm-up (JIT, connections, cache entry)
  return autocannonRow(name, await autocannon({ ...opts, duration: seconds, workers: 1 }));
}

export async function run(flags: string[]): Promise<void> {
  const seconds = flags.includes('--quick') ? 3 : 8;
  const db = await benchDatabase(benchDatabaseName('reads'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-reads-'));
  const prefix = `${process.env.BENCH_REDIS_PREFIX ?? 'ft-bench-reads-'}${randomBytes(4).toString('hex')}:`;
  const config = benchConfig(db.url, prefix, path.join(dir, 'jwt-dev.json'));
  const runtime = await startRuntime(config, pino({ level: 'silent' }));
  const uncachedConfig: Config = { ...config, cache: { ...config.cache, enabled: false } };
  const cachedApp = await buildApp(runtime);
  const uncachedApp = await buildApp({ ...runtime, config: uncachedConfig });
  // The read cache without the GraphQL response memo: what executing the query costs on a hit.
  const noMemoApp = await buildApp({ ...runtime, config: { ...config, graphql: { ...config.graphql, responseMemoBytes: 0 } } });
  const projectors = startProjectors(runtime);
  try {
    const cachedBase = await listen(cachedApp);
    const uncachedBase = await listen(uncachedApp);
    const noMemoBase = await listen(noMemoApp);
    const { token, imageId, position } = await seed(runtime, cachedBase);
    const auth = { authorization: `Bearer ${token}` };

    // Both answer the same body once the analysis is projected.
    const bodies = await Promise.all(
      [cachedBase, uncachedBase].map(async (base) => {
        const res = await fetch(`${base}/v1/images/${imageId}?consistentWith=${position}`, { headers: auth });
        if (res.status !== 200) throw new Error(`GET image: ${res.status} ${await res.text()}`);
        return res.text();
      }),
    );
    if (bodies[0] !== bodies[1]) throw new Error('cached and uncached REST bodies differ');
    const faceCount = (JSON.parse(bodies[0]!) as { faces: unknown[] }).faces.length;

    const rest = (base: string): autocannon.Options => ({ url: `${base}/v1/images/${imageId}`, method: 'GET', headers: auth, connections: 32 });
    const rows: Row[] = [];
    // For reference: Bearer verification, the cached account lookup, and one rm.users query.
    const floor = await measure('GET /v1/me (authentication + one rm.users query, for reference)', { url: `${cachedBase}/v1/me`, method: 'GET', headers: auth, connections: 32 }, seconds);
    rows.push(await measure(`REST GET /v1/images/{id} (${faceCount} faces), uncached`, rest(uncachedBase), seconds));
    rows.push(await measure(`REST GET /v1/images/{id} (${faceCount} faces), cached`, rest(cachedBase), seconds));

    const gqlBody = JSON.stringify({ query: GRAPHQL_IMAGE, variables: { id: imageId } });
    const gql = (base: string): autocannon.Options => ({ url: `${base}/graphql`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: gqlBody, connections: 32 });
    const probe = await fetch(`${cachedBase}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: gqlBody });
    const probeBody = probe.status === 200 ? ((await probe.json()) as { data?: { image?: { faces: unknown[] } }; errors?: unknown }) : undefined;
    if (probeBody?.data?.image?.faces.length === faceCount && !probeBody.errors) {
      rows.push(await measure('GraphQL image(id) { … faces }, uncached', gql(uncachedBase), seconds));
      rows.push(await measure('GraphQL image(id) { … faces }, cached', gql(cachedBase), seconds));
      rows.push(await measure('GraphQL, read cache without the response memo', gql(noMemoBase), seconds));
    } else {
      console.warn(`GraphQL skipped: POST /graphql answered ${probe.status} ${JSON.stringify(probeBody ?? {}).slice(0, 200)}`);
    }

    const perSecond = (i: number) => Number(rows[i]?.['req/s'] ?? NaN);
    // The query layer alone: what the cache saves, without HTTP and authentication.
    const viewer = { userId: (JSON.parse(bodies[0]!) as { ownerId: string }).ownerId, role: 'user' as const };
    // With the runtime's opener, as the API builds it (api-services.ts): the faces read by reference are sealed.
    const direct = new CachedImagesQuery(runtime.pool, undefined, runtime.eventStore.localData, runtime.privacy.opener);
    const readCache = new ReadCache({ redisUrl: config.redisUrl, keyPrefix: prefix, ttlSeconds: 300, timeoutMs: 50, logger: pino({ level: 'silent' }) });
    const cachedDirect = new CachedImagesQuery(runtime.pool, readCache, runtime.eventStore.localData, runtime.privacy.opener);
    const reference = [
      floor,
      await inProcess('getWithFaces in process, uncached', seconds, () => direct.getWithFaces(viewer, imageId, false)),
      await inProcess('getWithFaces in process, cached', seconds, () => cachedDirect.getWithFaces(viewer, imageId, false)),
    ];
    readCache.close();
    const summary: Row[] = [
      { case: 'REST cached / uncached throughput', n: '-', 'req/s': perSecond(1) / perSecond(0), 'p50 ms': '-', 'p99 ms': '-', note: 'target ≥ 3' },
    ];
    if (rows.length === 5) {
      summary.push({ case: 'GraphQL cached / REST cached throughput', n: '-', 'req/s': perSecond(3) / perSecond(1), 'p50 ms': '-', 'p99 ms': '-', note: 'target ≥ 1/1.5 = 0.67' });
    }
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    printTable([...rows, ...summary, ...reference]);
    console.log(`\nload average (1/5/15 min) at the end: ${load}; ${os.cpus().length} CPUs`);
    const file = await writeResults('reads', { rows: [...rows, ...summary, ...reference], loadAverage: os.loadavg() });
    console.log(`written ${file}`);
  } finally {
    await cachedApp.close();
    await uncachedApp.close();
    await noMemoApp.close();
    await Promise.all(projectors.map((p) => p.stop()));
    await deleteRedisKeys(prefix, config.redisUrl);
    await runtime.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
