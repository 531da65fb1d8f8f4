// tools/facetrail-verify.mjs run as a child process (plain node) on good and tampered inputs, and
// its canonical bytes against src/notary/canonical.ts.

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalEvent } from '../../../src/notary/canonical.js';
import { MerkleBuilder, consistencyProof, inclusionProof, leafHash, type Hash, type NodeId } from '../../../src/notary/merkle.js';
import { CHECKPOINT_TYP } from '../../../src/notary/verify-log.js';

const TOOL = join(import.meta.dirname, '../../../tools/facetrail-verify.mjs');
const dir = mkdtempSync(join(tmpdir(), 'ft-verify-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwksPath = join(dir, 'jwks.json');
writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'EdDSA' }] }));

function run(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [TOOL, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
function checkpoint(treeSize: number, root: Hash, key = privateKey) {
  const payload = { treeSize, rootHash: root.toString('base64url'), position: `p${treeSize}`, signedAt: '2026-12-02T08:00:00.000Z' };
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1', typ: CHECKPOINT_TYP })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { ...payload, kid: 'k1', jws: `${h}.${p}.${sign(null, Buffer.from(`${h}.${p}`), key).toString('base64url')}` };
}

const N = 60;
const events = Array.from({ length: N }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  stream: `image-${i % 5}`,
  revision: String(Math.floor(i / 5)),
  type: i % 3 ? 'FacesDetected' : 'ImageUploaded',
  recordedAt: new Date(1_764_000_000_000 + i * 1234).toISOString(),
  data: { i, ratio: i / 7, big: 1e21 * i, tiny: i * 1e-9, text: `ü€😀\n"${i}`, faces: [{ box: { y: 1, x: i } }], descriptor: { $sealed: { kid: `k${i}`, ct: 'AAAA' } }, none: null, flag: i % 2 === 0 },
  metadata: { actor: { id: 'u', role: 'user' }, correlationId: `c${i}`, schemaVersion: 1 },
}));
const nodes = new Map<string, Hash>();
const builder = new MerkleBuilder();
const roots: Hash[] = [];
const leaves = events.map((e) => leafHash(canonicalEvent(e)));
for (const l of leaves) {
  for (const n of builder.addLeaf(l)) nodes.set(`${n.level}/${n.index}`, n.hash);
  roots[builder.size] = builder.root();
}
const read = (ids: NodeId[]) => Promise.resolve(ids.map((id) => nodes.get(`${id.level}/${id.index}`)!));
const lines = events.map((e, i) => ({ treeIndex: i, leafHash: leaves[i]!.toString('base64url'), position: `p${i + 1}`, ...e }));
const ndjson = (ls: unknown[]) => ls.map((l) => JSON.stringify(l)).join('\n') + '\n';
const cp30 = file('cp30.json', JSON.stringify(checkpoint(30, roots[30]!)));
const cp60 = file('cp60.json', JSON.stringify(checkpoint(60, roots[60]!)));
const b64 = (h: Hash) => h.toString('base64url');

describe('tools/facetrail-verify.mjs', () => {
  it('computes the same canonical bytes as src/notary/canonical.ts', () => {
    const r = run('canonical', file('events.ndjson', ndjson(events)));
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(events.map((e) => canonicalEvent(e).toString('base64url')));
  });

  it('verifies an inclusion proof, and rejects a tampered one', async () => {
    const cp = checkpoint(60, roots[60]!);
    const proof = { eventId: events[17]!.id, leafIndex: 17, treeSize: 60, leafHash: b64(leaves[17]!), auditPath: (await inclusionProof(17, 60, read)).map(b64), canonical: canonicalEvent(events[17]!).toString('base64url'), position: 'p18', checkpoint: cp };
    expect(run('inclusion', file('inc.json', JSON.stringify(proof)), '--jwks', jwksPath)).toMatchObject({ code: 0 });
    const flipped = [...proof.auditPath];
    flipped[1] = b64(Buffer.alloc(32, 7));
    expect(run('inclusion', file('inc-bad.json', JSON.stringify({ ...proof, auditPath: flipped })), '--jwks', jwksPath).code).toBe(1);
    expect(run('inclusion', file('inc-idx.json', JSON.stringify({ ...proof, leafIndex: 16 })), '--jwks', jwksPath).code).toBe(1);
    expect(run('inclusion', file('inc-canon.json', JSON.stringify({ ...proof, canonical: canonicalEvent(events[16]!).toString('base64url') })), '--jwks', jwksPath).code).toBe(1);
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(run('inclusion', file('inc-sig.json', JSON.stringify({ ...proof, checkpoint: checkpoint(60, roots[60]!, other) })), '--jwks', jwksPath)).toMatchObject({ code: 1, out: expect.stringContaining('signature') as unknown });
  });

  it('verifies a consistency proof, and rejects a wrong one', async () => {
    const proof = { from: checkpoint(13, roots[13]!), to: checkpoint(60, roots[60]!), proof: (await consistencyProof(13, 60, read)).map(b64) };
    expect(run('consistency', file('con.json', JSON.stringify(proof)), '--jwks', jwksPath)).toMatchObject({ code: 0 });
    expect(run('consistency', file('con-bad.json', JSON.stringify({ ...proof, from: checkpoint(14, roots[14]!) })), '--jwks', jwksPath).code).toBe(1);
    expect(run('consistency', file('con-short.json', JSON.stringify({ ...proof, proof: proof.proof.slice(1) })), '--jwks', jwksPath).code).toBe(1);
  });

  it('verifies an export against checkpoints offline and names the first bad event of a tampered one', () => {
    const ok = run('export', file('log.ndjson', ndjson(lines)), '--checkpoint', cp30, '--checkpoint', cp60, '--jwks', jwksPath);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('OK: 60 events') as unknown });
    const edited = lines.map((l, i) => (i === 41 ? { ...l, data: { ...l.data, i: 0 } } : l));
    expect(run('export', file('edit.ndjson', ndjson(edited)), '--checkpoint', cp60, '--jwks', jwksPath).out).toMatch(/data differs at position 41 \(tree index 41, event 0+-0000-4000-8000-000000000041/);
    const rewritten = edited.map((l) => ({ ...l, leafHash: undefined }));
    expect(run('export', file('rewrite.ndjson', ndjson(rewritten)), '--checkpoint', cp30, '--checkpoint', cp60, '--jwks', jwksPath).out).toMatch(/root mismatch at checkpoint 60: a leaf in \[30, 60\)/);
    expect(run('export', file('del.ndjson', ndjson(lines.filter((_, i) => i !== 9))), '--checkpoint', cp60, '--jwks', jwksPath).out).toMatch(/index gap at position 9 \(tree index 9,/);
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(run('export', file('swap.ndjson', ndjson(swapped)), '--checkpoint', cp60, '--jwks', jwksPath).out).toMatch(/at position 3 /);
    const truncated = run('export', file('trunc.ndjson', ndjson(lines.slice(0, 55))), '--checkpoint', cp60, '--jwks', jwksPath);
    expect(truncated).toMatchObject({ code: 1, out: expect.stringMatching(/log ends early.*position 55 \(tree index 55\)/) as unknown });
    const forged = [...lines.slice(0, 20), { ...lines[20]!, treeIndex: undefined, leafHash: undefined, id: 'ffffffff-0000-4000-8000-000000000000' }, ...lines.slice(20)];
    expect(run('export', file('forged.ndjson', ndjson(forged)), '--checkpoint', cp60, '--jwks', jwksPath).out).toMatch(/unexpected event at position 20 .*ffffffff/);
    const badCp = file('cp-bad.json', JSON.stringify({ ...checkpoint(60, roots[60]!), jws: checkpoint(60, roots[59]!).jws.replace(/\.[^.]+$/, '.' + b64(Buffer.alloc(64))) }));
    expect(run('export', file('log2.ndjson', ndjson(lines)), '--checkpoint', badCp, '--jwks', jwksPath)).toMatchObject({ code: 1, out: expect.stringContaining('signature does not verify') as unknown });
  });

  it('refuses bad usage with exit code 2', () => {
    expect(run('export', file('x.ndjson', ''), '--bogus', 'x').code).toBe(2);
    expect(run('nonsense', cp30, '--jwks', jwksPath).code).toBe(2);
  });
});
