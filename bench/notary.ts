// `npm run bench -- notary [--quick]`: the notary's Merkle tree over 1 000 000 events (--quick: 100 000).
//   fold (in memory)      eventLeafHash (= leafHash(canonicalEvent)) + MerkleBuilder.addLeaf over RecordedEvents in
//                         memory (the notary consumer's CPU cost per event, no database)
//   readAll (PostgreSQL)  store.readAll() over the same events bulk-filled into es.events, drained: the
//                         adapter's catch-up read, the floor under the consumer (bench/notary-consumer.ts)
//   fold (PostgreSQL)     the notary consumer as production runs it (NotaryRunner over the stored store)
//                         from an empty tree until its checkpoint reaches the head; root checked
//   audit:verify export   `facetrail audit:verify --export` (src/notary/export-lines.ts + verifyLog)
//                         over an NDJSON export file written first, against a signed checkpoint
//   standalone verifier   tools/facetrail-verify.mjs export over the same file (a child process)
// The events are a mix like the log's: 80 % small (an upload-like event with a sealed filename),
// 20 % an analysis-like event with a sealed face envelope (~1.2 KB of base64 ciphertext); every
// event carries the usual metadata. Target (issue 16): ≥ 100 000 events/s for building and verifying.
// Then (unless --no-access) bench/access-log-reads.ts: cached reads logged for an auditor against the owner's.

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { accessLogReadsRows } from './access-log-reads.js';
import { performance } from 'node:perf_hooks';
import type { RecordedEvent } from '../src/eventstore/types.js';
import { eventLeafHash } from '../src/notary/canonical.js';
import { MerkleBuilder } from '../src/notary/merkle.js';
import { readExportFile } from '../src/notary/export-lines.js';
import { CHECKPOINT_TYP, verifyLog } from '../src/notary/verify-log.js';
import { measureConsumer } from './notary-consumer.js';
import { printTable, writeResults } from './results-file.js';

const TOOL = path.join(path.dirname(fileURLToPath(import.meta.url)), '../tools/facetrail-verify.mjs');

const sealed = (bytes: number) => ({ $sealed: { v: 1, kid: randomUUID(), iv: randomBytes(12).toString('base64url'), ct: randomBytes(bytes).toString('base64url') } });
const SMALL = Array.from({ length: 64 }, (_, i) => ({ type: 'ImageUploaded', data: { imageId: randomUUID(), ownerId: randomUUID(), contentSha256: randomBytes(32).toString('hex'), size: 100_000 + i, mediaType: 'image/jpeg', filename: sealed(24) } }));
const LARGE = Array.from({ length: 16 }, () => ({ type: 'FacesDetected', data: { imageId: randomUUID(), model: { name: 'ssd_mobilenetv1', version: '1.7.15' }, count: 1, faces: sealed(900), durationMs: 123.456 } }));
const metadata = () => ({ correlationId: randomUUID(), causationId: randomUUID(), actor: { id: randomUUID(), role: 'user', kind: 'user' as const }, schemaVersion: 1 });
const METAS = Array.from({ length: 64 }, metadata);
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

/** Event i of the synthetic log (templates shared: building it costs little next to the fold). */
function eventAt(i: number): RecordedEvent {
  const t = i % 5 === 4 ? LARGE[i % LARGE.length]! : SMALL[i % SMALL.length]!;
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    stream: `image-${Math.floor(i / 5)}`,
    revision: BigInt(i % 5),
    position: { commit: BigInt(i + 1), prepare: BigInt(i + 1) },
    type: t.type,
    data: t.data,
    metadata: METAS[i % METAS.length]!,
    recordedAt: new Date(T0 + i),
  };
}

function foldInMemory(n: number): { seconds: number; root: Buffer } {
  const b = new MerkleBuilder();
  const start = performance.now();
  for (let i = 0; i < n; i++) b.addLeaf(eventLeafHash(eventAt(i)));
  const root = b.root();
  return { seconds: (performance.now() - start) / 1000, root };
}

async function writeExport(file: string, n: number): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const e = eventAt(i);
    chunk += JSON.stringify({ treeIndex: i, position: `${e.position.commit}-${e.position.prepare}`, id: e.id, stream: e.stream, revision: e.revision.toString(), type: e.type, recordedAt: e.recordedAt.toISOString(), data: e.data, metadata: e.metadata }) + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return out.bytesWritten;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const rows: Record<string, string | number>[] = [];
  const row = (what: string, events: number, seconds: number, note = '') => rows.push({ what, events, seconds: Number(seconds.toFixed(2)), 'events/s': Math.round(events / seconds), note });

  const fold = foldInMemory(n);
  row('fold (in memory): canonical + leaf hash + builder', n, fold.seconds);
  const pg = await measureConsumer(n, { small: SMALL, large: LARGE, metas: METAS, t0: T0 }, fold.root);
  const read = Math.min(...pg.readSeconds);
  row('readAll (PostgreSQL): es.events drained', n, read, `best of ${pg.readSeconds.map((s) => s.toFixed(2)).join(' / ')} s (before / after the consumer); seeded in ${pg.seedSeconds.toFixed(1)} s`);
  row('fold (PostgreSQL): notary consumer over es.events', n, pg.consumerSeconds, `${(pg.consumerSeconds / read).toFixed(2)}× the read, ${(pg.consumerSeconds / fold.seconds).toFixed(2)}× the in-memory fold; Node CPU ${Math.round((100 * pg.consumerCpuSeconds) / pg.consumerSeconds)} % of wall; root = in-memory root`);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'ft-bench-notary-'));
  try {
    const file = path.join(dir, 'log.ndjson');
    const bytes = await writeExport(file, n);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const payload = { treeSize: n, rootHash: fold.root.toString('base64url'), position: `${n}-${n}`, signedAt: new Date().toISOString() };
    const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'bench', typ: CHECKPOINT_TYP })).toString('base64url');
    const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const cp = { ...payload, kid: 'bench', jws: `${h}.${p}.${sign(null, Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}` };
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench' };
    const cpFile = path.join(dir, 'cp.json');
    const jwksFile = path.join(dir, 'jwks.json');
    await writeFile(cpFile, JSON.stringify(cp));
    await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));

    const r = await verifyLog(readExportFile(file, () => undefined), { checkpoints: [cp], jwks: [jwk] });
    if (!r.ok) throw new Error(`bench export did not verify: ${r.reason} ${r.message}`);
    row('audit:verify --export (offline, NDJSON file)', n, r.seconds, `${Math.round(bytes / n)} B/event, ${(bytes / 2 ** 20).toFixed(0)} MiB`);

    const t = performance.now();
    const child = spawnSync(process.execPath, [TOOL, 'export', file, '--checkpoint', cpFile, '--jwks', jwksFile], { encoding: 'utf8' });
    const seconds = (performance.now() - t) / 1000;
    if (child.status !== 0) throw new Error(`standalone verifier failed: ${child.stdout}${child.stderr}`);
    row('tools/facetrail-verify.mjs export (process, incl. start)', n, seconds);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(rows);
  // The third target: cached image reads by an auditor, every one logged (bench/access-log-reads.ts).
  const access = args.includes('--no-access') ? [] : await accessLogReadsRows({ seconds: quick ? 3 : 8 });
  if (access.length > 0) printTable(access);
  console.log(`results: ${await writeResults(quick ? 'notary-quick' : 'notary', { tree: rows, accessLogReads: access })}`);
}
