// The notary end to end (issue 16): the projector role folds the log into the tree and signs
// checkpoints with the service key (verifiable with /.well-known/jwks.json); every event of a
// small log has an inclusion proof that verifies against every checkpoint covering it; every pair
// of checkpoints has a consistency proof that verifies; a changed proof does not; erasing an image
// (crypto-shredding) leaves every earlier checkpoint, proof and leaf unchanged and valid; the
// routes' errors are problem+json with codes, staff only.

import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute } from '../../src/cli/audit-verify.js';
import { cursorToPosition } from '../../src/eventstore/position.js';
import { CHECKPOINT_TYP, type Checkpoint, type CheckpointPayload } from '../../src/notary/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/notary/merkle.js';
import { NOTARY_CONSUMER } from '../../src/projections/notary/notary.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { erasureExecutorConsumer, executingErasureService } from '../../src/workers/privacy/erasure-executor.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { testLogger } from '../support/silent-logger.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';

interface InclusionBody {
  eventId: string;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  canonical: string;
  position: string;
  checkpoint: Checkpoint;
}

let t: TestApp;
let executor: ProjectorRunner | undefined;
let auditor: string;
const EVERY = 10;
const VERIFIER = join(import.meta.dirname, '../../tools/facetrail-verify.mjs');
const h = (s: string) => Buffer.from(s, 'base64url');

async function jwks() {
  const res = await call<JSONWebKeySet>(t.baseUrl, 'GET', '/.well-known/jwks.json');
  return createLocalJWKSet(res.body);
}

/** The signed payload of a checkpoint, after checking its signature against the JWKS (all a verifier trusts). */
async function verified(cp: Checkpoint): Promise<CheckpointPayload> {
  const { payload, protectedHeader } = await compactVerify(cp.jws, await jwks());
  expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: CHECKPOINT_TYP, kid: cp.kid });
  const signed = JSON.parse(Buffer.from(payload).toString('utf8')) as CheckpointPayload;
  expect(signed).toEqual({ treeSize: cp.treeSize, rootHash: cp.rootHash, position: cp.position, signedAt: cp.signedAt });
  return signed;
}

async function logIds(): Promise<{ id: string; position: string }[]> {
  const out: { id: string; position: string }[] = [];
  for await (const e of t.runtime.storedEventStore.readAll()) out.push({ id: e.id, position: `${e.position.commit}-${e.position.prepare}` });
  return out;
}

/** Waits until the notary has folded the whole log and signed it (the time rule signs a quiet tree). */
async function notarisedAll(): Promise<Checkpoint> {
  const events = await logIds();
  expect(await t.runtime.checkpoints.waitFor([NOTARY_CONSUMER], cursorToPosition(events.at(-1)!.position), 15_000)).toBe(true);
  for (;;) {
    const latest = await call<Checkpoint>(t.baseUrl, 'GET', '/v1/audit/checkpoints/latest', { token: auditor });
    if (latest.status === 200 && latest.body.treeSize === events.length) return latest.body;
    await t.runtime.checkpoints.waitFor([NOTARY_CONSUMER], { commit: 1n << 62n, prepare: 0n }, 50); // a bounded wait on the checkpoint channel
  }
}

async function allCheckpoints(): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { checkpoints: Checkpoint[]; nextCursor: string | null } } = await call(t.baseUrl, 'GET', `/v1/audit/checkpoints?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: auditor });
    expect(page.status).toBe(200);
    out.push(...page.body.checkpoints);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

async function proofOf(id: string, checkpoint?: number) {
  return call<InclusionBody>(t.baseUrl, 'GET', `/v1/audit/events/${id}/proof${checkpoint ? `?checkpoint=${checkpoint}` : ''}`, { token: auditor });
}

/** Checks one inclusion proof as the standalone verifier does: signature, leaf from the canonical bytes, path to the signed root. */
async function expectInclusionVerifies(body: InclusionBody): Promise<void> {
  const signed = await verified(body.checkpoint);
  expect(body.treeSize).toBe(signed.treeSize);
  const leaf = leafHash(h(body.canonical));
  expect(leaf.toString('base64url')).toBe(body.leafHash);
  expect(verifyInclusion(leaf, body.leafIndex, signed.treeSize, body.auditPath.map(h), h(signed.rootHash))).toBe(true);
}

beforeAll(async () => {
  t = await startTestApp('notary', { NOTARY_CHECKPOINT_EVERY_EVENTS: String(EVERY), NOTARY_CHECKPOINT_EVERY_MS: '100' });
  auditor = (await tokenFor(t, 'notary-auditor@example.com', 'auditor')).token;
});

afterAll(async () => {
  await executor?.stop();
  await t?.stop();
});

describe('notary proofs', () => {
  let before: { checkpoints: Checkpoint[]; proofs: Map<string, InclusionBody>; leaves: unknown[] };
  let imageId: string;
  let owner: { token: string; userId: string };

  it('signs checkpoints with the service key; every event has an inclusion proof in every checkpoint that covers it; every pair is consistent', async () => {
    owner = await registerConsenting(t.baseUrl, { email: 'notary-owner@example.com', password: 'a perfectly fine password' });
    const f = new FormData();
    f.append('file', new Blob([await readSample(1)], { type: 'image/jpeg' }), 'notary-secret.jpg');
    const up = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}` }, body: f });
    expect(up.status).toBe(202);
    imageId = ((await up.json()) as { imageId: string }).imageId;
    const latest = await notarisedAll();
    const events = await logIds();
    expect(latest.treeSize).toBe(events.length);
    expect((await call<Checkpoint>(t.baseUrl, 'GET', '/v1/audit/checkpoints?latest=true', { token: auditor })).body).toEqual(latest);

    const checkpoints = await allCheckpoints();
    expect(checkpoints[0]).toEqual(latest);
    expect(checkpoints.map((c) => c.treeSize)).toEqual([...checkpoints.map((c) => c.treeSize)].sort((a, b) => b - a));
    for (const cp of checkpoints) {
      await verified(cp);
      expect((await call<Checkpoint>(t.baseUrl, 'GET', `/v1/audit/checkpoints/${cp.treeSize}`, { token: auditor })).body).toEqual(cp);
      // The checkpoint's position is its last leaf's event.
      expect(cp.position).toBe(events[cp.treeSize - 1]!.position);
    }
    expect(checkpoints.length).toBeGreaterThan(1);

    const proofs = new Map<string, InclusionBody>();
    for (const [index, e] of events.entries()) {
      for (const cp of checkpoints.filter((c) => c.treeSize > index)) {
        const res = await proofOf(e.id, cp.treeSize);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ eventId: e.id, leafIndex: index, treeSize: cp.treeSize, position: e.position, checkpoint: cp });
        await expectInclusionVerifies(res.body);
        proofs.set(`${e.id}@${cp.treeSize}`, res.body);
      }
      // Default: the latest checkpoint.
      expect((await proofOf(e.id)).body.treeSize).toBe(latest.treeSize);
    }
    for (const a of checkpoints) {
      for (const b of checkpoints.filter((c) => c.treeSize >= a.treeSize)) {
        const res = await call<{ from: Checkpoint; to: Checkpoint; proof: string[] }>(t.baseUrl, 'GET', `/v1/audit/checkpoints/consistency?from=${a.treeSize}&to=${b.treeSize}`, { token: auditor });
        expect(res.status).toBe(200);
        expect(res.body.from).toEqual(a);
        expect(res.body.to).toEqual(b);
        const [sa, sb] = [await verified(a), await verified(b)];
        expect(verifyConsistency(sa.treeSize, sb.treeSize, h(sa.rootHash), h(sb.rootHash), res.body.proof.map(h))).toBe(true);
      }
    }
    const { rows: leaves } = await t.runtime.pool.query('select * from notary.leaves order by tree_index');
    before = { checkpoints, proofs, leaves };
  });

  it('the stored export as served verifies offline, with the standalone verifier and audit:verify, and holds no personal content', async () => {
    const latest = await notarisedAll();
    const res = await fetch(`${t.baseUrl}/v1/audit/export.ndjson?form=stored`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await res.text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { treeIndex?: number; leafHash?: string });
    expect(lines.length).toBeGreaterThanOrEqual(latest.treeSize);
    expect(lines.slice(0, latest.treeSize).every((l, i) => l.treeIndex === i && typeof l.leafHash === 'string')).toBe(true);
    // Sealed fields travel as ciphertext: the uploaded filename is nowhere in the file.
    expect(text).not.toContain('notary-secret');
    expect(text).toContain('$sealed');
    const dir = mkdtempSync(join(tmpdir(), 'notary-export-'));
    const files = { log: join(dir, 'log.ndjson'), cp: join(dir, 'cp.json'), jwks: join(dir, 'jwks.json') };
    writeFileSync(files.log, text);
    writeFileSync(files.cp, JSON.stringify(latest));
    writeFileSync(files.jwks, JSON.stringify((await call(t.baseUrl, 'GET', '/.well-known/jwks.json')).body));
    const standalone = (log: string) => spawnSync(process.execPath, [VERIFIER, 'export', log, '--checkpoint', files.cp, '--jwks', files.jwks], { encoding: 'utf8' });
    const ok = standalone(files.log);
    expect(ok.stdout).toMatch(/^OK/m);
    expect(ok.status).toBe(0);
    const out: string[] = [];
    expect(await execute(['--export', files.log, '--checkpoint', files.cp, '--jwks', files.jwks], { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
    // One changed byte in a notarised event's data is caught, and named.
    const tampered = join(dir, 'tampered.ndjson');
    writeFileSync(tampered, text.replace('"type":"ImageUploaded"', '"type":"ImageUploadeD"'));
    const bad = standalone(tampered);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL/);
  });

  it('a wrong proof, leaf, index or root does not verify', async () => {
    const [sample] = [...before.proofs.values()].filter((p) => p.auditPath.length > 1);
    expect(sample).toBeDefined();
    const p = sample!;
    const signed = await verified(p.checkpoint);
    const leaf = h(p.leafHash);
    const path = p.auditPath.map(h);
    const flipped = path.map((x, i) => (i === 0 ? Buffer.from(x.map((b, j) => (j === 0 ? b ^ 1 : b))) : x));
    expect(verifyInclusion(leaf, p.leafIndex, signed.treeSize, flipped, h(signed.rootHash))).toBe(false);
    expect(verifyInclusion(leaf, p.leafIndex + 1, signed.treeSize, path, h(signed.rootHash))).toBe(false);
    expect(verifyInclusion(leafHash(Buffer.concat([h(p.canonical), Buffer.from(' ')])), p.leafIndex, signed.treeSize, path, h(signed.rootHash))).toBe(false);
    expect(verifyInclusion(leaf, p.leafIndex, signed.treeSize, path.slice(1), h(signed.rootHash))).toBe(false);
    const [a, b] = [before.checkpoints.at(-1)!, before.checkpoints[0]!];
    const res = await call<{ proof: string[] }>(t.baseUrl, 'GET', `/v1/audit/checkpoints/consistency?from=${a.treeSize}&to=${b.treeSize}`, { token: auditor });
    const proof = res.body.proof.map(h);
    expect(verifyConsistency(a.treeSize, b.treeSize, h(a.rootHash), h(b.rootHash), proof)).toBe(true);
    expect(verifyConsistency(a.treeSize, b.treeSize, h(b.rootHash), h(b.rootHash), proof)).toBe(false);
    expect(verifyConsistency(a.treeSize, b.treeSize, h(a.rootHash), h(b.rootHash), proof.reverse())).toBe(false);
    // A tampered JWS does not verify against the JWKS.
    const [hd, pl, sig] = a.jws.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(pl, 'base64url').toString('utf8')), treeSize: a.treeSize + 1 })).toString('base64url');
    await expect(compactVerify(`${hd}.${forged}.${sig}`, await jwks())).rejects.toThrow();
  });

  it('erasing an image leaves every earlier checkpoint, leaf and proof unchanged and valid', async () => {
    const service = executingErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, pool: t.runtime.pool, blobs: new BlobStore(t.runtime.pool) });
    executor = new ProjectorRunner(t.runtime.config.databaseUrl, t.runtime.eventStore, erasureExecutorConsumer(t.runtime.eventStore, service), testLogger, { errorBackoffMs: 50 }).start();
    const del = await call<{ erasureStatus: string }>(t.baseUrl, 'DELETE', `/v1/images/${imageId}`, { token: owner.token });
    expect(del.status).toBe(202);
    expect(del.body.erasureStatus).toBe('completed');
    await notarisedAll();
    const after = await allCheckpoints();
    // Every earlier checkpoint is still there, byte for byte; the tree only grew.
    for (const cp of before.checkpoints) expect(after).toContainEqual(cp);
    expect(after[0]!.treeSize).toBeGreaterThan(before.checkpoints[0]!.treeSize);
    const { rows: leaves } = await t.runtime.pool.query('select * from notary.leaves order by tree_index');
    expect(leaves.slice(0, before.leaves.length)).toEqual(before.leaves);
    // Every proof asked again is the same and verifies: the canonical form holds ciphertext, which shredding does not change.
    for (const [key, old] of before.proofs) {
      const [id, size] = key.split('@') as [string, string];
      const res = await proofOf(id, Number(size));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(old);
      await expectInclusionVerifies(res.body);
    }
    // And in the newest tree, with the erasure's events in it.
    for (const { id } of (await logIds()).slice(0, 5)) await expectInclusionVerifies((await proofOf(id)).body);
    const [a, b] = [before.checkpoints[0]!, after[0]!];
    const c = await call<{ proof: string[] }>(t.baseUrl, 'GET', `/v1/audit/checkpoints/consistency?from=${a.treeSize}&to=${b.treeSize}`, { token: auditor });
    expect(verifyConsistency(a.treeSize, b.treeSize, h(a.rootHash), h(b.rootHash), c.body.proof.map(h))).toBe(true);
  });

  it('errors: problem+json with codes; staff only', async () => {
    const expectProblem = async (path: string, status: number, code: string, token = auditor) => {
      const res = await call<{ code: string }>(t.baseUrl, 'GET', path, { token });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code, path).toBe(code);
    };
    const latest = before.checkpoints[0]!;
    await expectProblem('/v1/audit/checkpoints/999999', 404, 'checkpoint_not_found');
    await expectProblem('/v1/audit/checkpoints/0', 400, 'invalid_checkpoint');
    await expectProblem('/v1/audit/checkpoints/abc', 400, 'invalid_checkpoint');
    await expectProblem('/v1/audit/checkpoints/99999999999999999999', 400, 'invalid_checkpoint');
    await expectProblem('/v1/audit/checkpoints?cursor=-1', 400, 'invalid_checkpoint');
    await expectProblem(`/v1/audit/checkpoints/consistency?from=${latest.treeSize}&to=1`, 400, 'invalid_range');
    await expectProblem(`/v1/audit/checkpoints/consistency?from=1&to=${latest.treeSize + 1_000_000}`, 404, 'checkpoint_not_found');
    await expectProblem('/v1/audit/checkpoints/consistency?from=1', 400, 'validation_failed');
    await expectProblem(`/v1/audit/events/${randomUUID()}/proof`, 404, 'event_not_notarised');
    await expectProblem('/v1/audit/events/not-a-uuid/proof', 400, 'validation_failed');
    const [first] = await logIds();
    await expectProblem(`/v1/audit/events/${first!.id}/proof?checkpoint=424242`, 404, 'checkpoint_not_found');
    const lastEvent = (await logIds()).at(-1)!;
    const smallest = before.checkpoints.at(-1)!;
    if (smallest.treeSize < (await logIds()).length) await expectProblem(`/v1/audit/events/${lastEvent.id}/proof?checkpoint=${smallest.treeSize}`, 409, 'event_after_checkpoint');
    await expectProblem('/v1/audit/checkpoints/latest', 403, 'forbidden', owner.token);
    await expectProblem(`/v1/audit/events/${first!.id}/proof`, 403, 'forbidden', (await tokenFor(t, 'notary-user@example.com', 'user')).token);
    const anon = await call<{ code: string }>(t.baseUrl, 'GET', '/v1/audit/checkpoints');
    expect(anon.status).toBe(401);
  });
});
