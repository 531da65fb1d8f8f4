// The cost of the biometric access log (issue 16): cached GET /v1/images/{id} with faces read by
// its owner (not recorded) and by an auditor (every request appends a BiometricDataAccessed before
// it is answered), in the same run over the same app, autocannon with 32 connections (as
// bench/reads.ts measures cached reads). Also how many records each append carried (the access
// log's batcher groups concurrent requests into one append), and the CPU each request cost in
// this process (load generator included), the database's backends and Redis (bench/process-cpu.ts).
// `accessLogReadsRows` is what bench/notary.ts (npm run bench -- notary) calls; `run` runs it alone.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { pino } from 'pino';
import sharp from 'sharp';
import { BlobStore } from '../src/blobs/blob-store.js';
import { IdentityService } from '../src/commands/identity/identity-service.js';
import { ImageService } from '../src/commands/images/image-service.js';
import { buildApp } from '../src/http/app.js';
import { startProjectors } from '../src/projections/start-projectors.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { deleteRedisKeys } from '../support/redis-test-prefix.js';
import { autocannonRow, type Row } from './autocannon-row.js';
import { cpuSince, cpuSnapshot } from './process-cpu.js';
import { printTable, writeResults } from './results-file.js';
import { benchConfig, benchDatabase, benchDatabaseName } from './support.js';


export interface AccessLogReadsOptions {
  /** Seconds per measured case (default 8). */
  seconds?: number;
  connections?: number;
}

const PASSWORD = `bench-${randomBytes(8).toString('hex')}`;

async function login(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** An owner (consenting) with one analysed image of 4 faces, and an auditor. */
async function seed(rt: Runtime, base: string): Promise<{ owner: string; auditor: string; imageId: string; position: string }> {
  const tag = randomBytes(4).toString('hex');
  const identity = new IdentityService(rt.eventStore, rt.tokens);
  const ctx = { correlationId: 'bench-access-log', actor: { id: 'bench', kind: 'system' as const } };
  await identity.register({ email: `owner-${tag}@example.com`, password: PASSWORD, displayName: 'Owner', role: 'user' }, ctx);
  await identity.register({ email: `auditor-${tag}@example.com`, password: PASSWORD, displayName: 'Auditor', role: 'auditor' }, ctx);
  const owner = await login(base, `owner-${tag}@example.com`);
  const auditor = await login(base, `auditor-${tag}@example.com`);
  const policy = (await (await fetch(`${base}/v1/privacy/policy`)).json()) as { version: string };
  const consent = await fetch(`${base}/v1/me/consents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` }, body: JSON.stringify({ purpose: 'face_analysis', policyVersion: policy.version }) });
  if (consent.status >= 300) throw new Error(`consent: ${consent.status} ${await consent.text()}`);
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a8b99' } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'bench.jpg');
  const up = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${owner}` }, body: form });
  if (up.status !== 202) throw new Error(`upload: ${up.status} ${await up.text()}`);
  const { imageId } = (await up.json()) as { imageId: string };
  let requestId: string | undefined;
  for await (const e of rt.eventStore.readStream(`image-${imageId}`)) if (e.type === 'ImageUploaded') requestId = e.id;
  const faces = Array.from({ length: 4 }, (_, i) => ({
    box: { x: 40 + 120 * i, y: 60, width: 100, height: 120 },
    score: 0.9 - i / 100,
    landmarks: Array.from({ length: 68 }, (_, k) => [40 + 120 * i + (k % 17) * 5.5, 60 + Math.floor(k / 17) * 20.25] as [number, number]),
    descriptor: Array.from({ length: 128 }, (_, k) => Math.sin(k * (i + 1)) / 4),
  }));
  const position = await new ImageService(rt.eventStore, new BlobStore(rt.pool)).recordAnalysis(imageId, { requestId: requestId!, model: { name: 'bench', version: '1', sha256: '0'.repeat(64) }, faces, durationMs: 42 }, ctx);
  return { owner, auditor, imageId, position: `${position!.commit}-${position!.prepare}` };
}

async function measure(name: string, opts: autocannon.Options, seconds: number, dbName: string): Promise<Row> {
  await autocannon({ ...opts, duration: 1, workers: 1 }); // warm-up (JIT, connections, cache entry)
  const before = await cpuSnapshot(dbName);
  const r = await autocannon({ ...opts, duration: seconds, workers: 1 });
  const used = cpuSince(before, await cpuSnapshot(dbName));
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, r.requests.total));
  return autocannonRow(name, r, { 'CPU µs/req node+pg+redis': `${per(used.node)}+${per(used.postgres)}+${per(used.redis)}` });
}

/** Access records and appends (transactions) in the log so far. */
async function appendStats(rt: Runtime): Promise<{ records: number; appends: number }> {
  const { rows } = await rt.pool.query<{ records: string; appends: string }>("select coalesce(sum(jsonb_array_length(data->'records')), 0)::text as records, count(distinct transaction_id)::text as appends from es.events where stream like 'access-%' and type = 'BiometricDataAccessed'");
  return { records: Number(rows[0]!.records), appends: Number(rows[0]!.appends) };
}

/** Owner (unlogged) vs auditor (logged) cached reads of one image with faces, in one run. */
export async function accessLogReadsRows(opts: AccessLogReadsOptions = {}): Promise<Row[]> {
  const seconds = opts.seconds ?? 8;
  const connections = opts.connections ?? 32;
  const dbName = benchDatabaseName('access_log_reads');
  const db = await benchDatabase(dbName);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-access-'));
  const prefix = `${process.env.BENCH_REDIS_PREFIX ?? 'ft-bench-access-'}${randomBytes(4).toString('hex')}:`;
  const config = benchConfig(db.url, prefix, path.join(dir, 'jwt-dev.json'));
  const runtime = await startRuntime(config, pino({ level: 'silent' }));
  const app = await buildApp(runtime);
  const projectors = startProjectors(runtime);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no TCP address');
    const base = `http://127.0.0.1:${address.port}`;
    const { owner, auditor, imageId, position } = await seed(runtime, base);
    for (const token of [owner, auditor]) {
      const res = await fetch(`${base}/v1/images/${imageId}?consistentWith=${position}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200 || ((await res.json()) as { faces: unknown[] }).faces.length !== 4) throw new Error(`GET image: ${res.status}`);
    }
    const read = (token: string): autocannon.Options => ({ url: `${base}/v1/images/${imageId}`, method: 'GET', headers: { authorization: `Bearer ${token}` }, connections });
    const logged = async (name: string): Promise<Row> => {
      const before = await appendStats(runtime);
      const row = await measure(name, read(auditor), seconds, dbName);
      const after = await appendStats(runtime);
      const records = after.records - before.records;
      const appends = after.appends - before.appends;
      // Warm-up requests are logged too: the measured requests are at most the records.
      row.note = `${row.note}; ${records} records in ${appends} appends (${(records / Math.max(1, appends)).toFixed(1)} per append)`;
      return row;
    };
    const ownerRow = await measure('cached GET /v1/images/{id} (4 faces) by the owner (not logged)', read(owner), seconds, dbName);
    // One process (npm start): the projectors fold every access record (access-records, notary) on the same cores.
    const together = await logged('… by an auditor (every request logged), projectors in this process');
    // The API alone, as when the projector role runs in its own process (docker compose).
    await Promise.all(projectors.map((p) => p.stop()));
    const alone = await logged('… by an auditor (every request logged), the API process alone');
    const ownerAgain = await measure('cached GET by the owner again (drift check)', read(owner), seconds, dbName);
    const unlogged = (Number(ownerRow['req/s']) + Number(ownerAgain['req/s'])) / 2;
    const ratio = (row: Row, name: string): Row => ({ case: name, n: '-', 'req/s': Number(row['req/s']) / unlogged, 'p50 ms': '-', 'p99 ms': Number(row['p99 ms']) - Number(ownerRow['p99 ms']), 'CPU µs/req node+pg+redis': '-', note: 'target ≥ 0.5; p99 column: logged − unlogged ms' });
    return [ownerRow, together, alone, ownerAgain, ratio(alone, 'logged / unlogged cached throughput, API alone'), ratio(together, 'logged / unlogged, projectors in the same process')];
  } finally {
    await app.close();
    await Promise.all(projectors.map((p) => p.stop()));
    await deleteRedisKeys(prefix, config.redisUrl);
    await runtime.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(flags: string[]): Promise<void> {
  const rows = await accessLogReadsRows({ seconds: flags.includes('--quick') ? 3 : 8 });
  printTable(rows);
  console.log(`\nload average (1/5/15 min) at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${os.cpus().length} CPUs`);
  console.log(`written ${await writeResults('access-log-reads', { rows, loadAverage: os.loadavg() })}`);
}
