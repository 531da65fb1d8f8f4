// verifyLog: a clean log passes; each kind of tampering is named at its first position.

import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalEvent } from '../../../src/notary/canonical.js';
import { MerkleBuilder, leafHash } from '../../../src/notary/merkle.js';
import { CHECKPOINT_TYP, type CheckpointJson, type LogEntry, verifyLog } from '../../../src/notary/verify-log.js';

function keyPair(kid: string): { privateKey: KeyObject; jwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}

function signCheckpoint(privateKey: KeyObject, kid: string, treeSize: number, root: Buffer, position = `p${treeSize}`): CheckpointJson {
  const payload = { treeSize, rootHash: root.toString('base64url'), position, signedAt: '2026-12-02T08:00:00.000Z' };
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, typ: CHECKPOINT_TYP })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const s = sign(null, Buffer.from(`${h}.${p}`), privateKey).toString('base64url');
  return { ...payload, kid, jws: `${h}.${p}.${s}` };
}

const key = keyPair('k1');

function makeLog(n: number): LogEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const event = { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, stream: `s-${i % 7}`, revision: BigInt(Math.floor(i / 7)), type: 'T', data: { i, name: { $sealed: `ct${i}` } }, metadata: { actor: { id: 'u' } }, recordedAt: new Date(1_700_000_000_000 + i) };
    return { position: `p${i + 1}`, treeIndex: i, recordedLeaf: leafHash(canonicalEvent(event)), event };
  });
}

function checkpoints(log: LogEntry[], sizes: number[]): CheckpointJson[] {
  const b = new MerkleBuilder();
  const out: CheckpointJson[] = [];
  for (const e of log) {
    b.addLeaf(leafHash(canonicalEvent(e.event)));
    if (sizes.includes(b.size)) out.push(signCheckpoint(key.privateKey, 'k1', b.size, b.root()));
  }
  return out;
}

const LOG = makeLog(100);
const CPS = checkpoints(LOG, [40, 100]);
const run = (log: LogEntry[], extra: Partial<Parameters<typeof verifyLog>[1]> = {}) => verifyLog(log, { checkpoints: CPS, jwks: [key.jwk], ...extra });

describe('verifyLog', () => {
  it('passes a clean log, reports progress, and counts a tail with no tree index', async () => {
    const progress: number[] = [];
    const tail = makeLog(103).slice(100).map((e) => ({ ...e, treeIndex: undefined, recordedLeaf: undefined }));
    const r = await run([...LOG, ...tail], { onProgress: (p) => progress.push(p.count), progressEvery: 25 });
    expect(r).toMatchObject({ ok: true, events: 103, treeSize: 100, tail: 3, checkpointsChecked: [40, 100] });
    expect(progress).toEqual([25, 50, 75, 100]);
  });

  it('names an edited event (recorded leaf differs)', async () => {
    const log = LOG.map((e, i) => (i === 57 ? { ...e, event: { ...e.event, data: { i: 999 } } } : e));
    expect(await run(log)).toMatchObject({ ok: false, reason: 'data_differs', at: { ordinal: 57, treeIndex: 57, eventId: LOG[57]!.event.id } });
  });

  it('names the range of a consistent rewrite (no recorded leaves) by its checkpoint', async () => {
    const log = LOG.map((e, i) => ({ ...e, recordedLeaf: undefined, event: i === 57 ? { ...e.event, data: { i: 999 } } : e.event }));
    expect(await run(log)).toMatchObject({ ok: false, reason: 'root_mismatch', checkpoint: 100, range: { from: 40, to: 100 }, at: { ordinal: 40, treeIndex: 40 } });
  });

  it('names a deleted middle event as a gap at its tree index', async () => {
    const log = LOG.filter((_, i) => i !== 30);
    expect(await run(log)).toMatchObject({ ok: false, reason: 'index_gap', at: { ordinal: 30, treeIndex: 30, eventId: LOG[31]!.event.id } });
  });

  it('names two swapped events as out of order', async () => {
    const log = [...LOG];
    [log[10], log[11]] = [log[11]!, log[10]!];
    expect(await run(log)).toMatchObject({ ok: false, reason: 'index_out_of_order', at: { ordinal: 10, treeIndex: 11 } });
  });

  it('names a log that ends before a checkpoint (last K deleted)', async () => {
    expect(await run(LOG.slice(0, 95))).toMatchObject({ ok: false, reason: 'log_ends_early', checkpoint: 100, at: { ordinal: 95, treeIndex: 95 } });
    expect(await run(LOG.slice(0, 95), { checkpoints: CPS.slice(0, 1), expectedTreeSize: 100 })).toMatchObject({ ok: false, reason: 'log_ends_early', at: { treeIndex: 95 } });
  });

  it('names a forged event: with no leaf before notarised events, or with an index already used', async () => {
    const forged = { ...LOG[5]!, treeIndex: undefined, recordedLeaf: undefined, event: { ...LOG[5]!.event, id: 'ffffffff-0000-4000-8000-000000000000' } };
    const log = [...LOG.slice(0, 20), forged, ...LOG.slice(20)];
    expect(await run(log)).toMatchObject({ ok: false, reason: 'unexpected_event', at: { ordinal: 20, eventId: forged.event.id } });
    const dup = [...LOG.slice(0, 20), { ...forged, treeIndex: 19 }, ...LOG.slice(20)];
    expect(await run(dup)).toMatchObject({ ok: false, reason: 'unexpected_event', at: { ordinal: 20, treeIndex: 19 } });
  });

  it('refuses a checkpoint whose signature does not verify, or signed by another key', async () => {
    const other = keyPair('k1');
    const forgedCp = signCheckpoint(other.privateKey, 'k1', 100, Buffer.alloc(32));
    expect(await run(LOG, { checkpoints: [forgedCp] })).toMatchObject({ ok: false, reason: 'bad_signature', checkpoint: 100 });
    const cp = CPS[1]!;
    const [h, , s] = cp.jws.split('.');
    const p = Buffer.from(JSON.stringify({ ...cp, treeSize: 99, kid: undefined, jws: undefined })).toString('base64url');
    expect(await run(LOG, { checkpoints: [{ ...cp, jws: `${h}.${p}.${s}` }] })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await run(LOG, { jwks: [] })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('trusts the payload, not the JSON members beside it', async () => {
    const lying = { ...CPS[1]!, treeSize: 50, rootHash: Buffer.alloc(32).toString('base64url') };
    expect(await run(LOG, { checkpoints: [lying] })).toMatchObject({ ok: true, checkpointsChecked: [100] });
  });
});
