// The console's in-browser Merkle checks (web/src/screens/auditor/merkle.ts, crypto.subtle) agree
// with the notary's (src/notary/merkle.ts): every inclusion and consistency proof the notary
// makes for trees of 1..20 leaves verifies in the console's code, and a proof with one changed
// byte, a wrong index or a wrong root does not; leaf hashes and base64url agree byte for byte.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleBuilder, combineRange, consistencyProof, inclusionProof, leafHash as serverLeaf, type Hash, type NodeId } from '../../../src/notary/merkle.js';
import { fromBase64url, leafHash, toBase64url, verifyConsistency, verifyInclusion } from '../../../web/src/screens/auditor/merkle.js';

const SIZE = 20;
const leaves = Array.from({ length: SIZE }, (_, i) => serverLeaf(randomBytes(1 + (i % 7) * 13)));
const nodes = new Map<string, Hash>();
const roots: Hash[] = [];
const builder = new MerkleBuilder();
for (const l of leaves) {
  for (const n of builder.addLeaf(l)) nodes.set(`${n.level}/${n.index}`, n.hash);
  roots.push(combineRange(builder.frontier));
}
const read = (ids: NodeId[]) => Promise.resolve(ids.map((id) => nodes.get(`${id.level}/${id.index}`)!));

const u8 = (b: Buffer) => new Uint8Array(b);
const flipped = (h: Buffer) => {
  const c = new Uint8Array(h);
  c[7] = (c[7] ?? 0) ^ 0x01;
  return c;
};

describe("the console's Merkle checks", () => {
  it('hashes leaves and encodes base64url as the notary does', async () => {
    for (const len of [0, 1, 31, 32, 33, 1000]) {
      const bytes = randomBytes(len);
      expect(Buffer.from(await leafHash(u8(bytes))).equals(serverLeaf(bytes))).toBe(true);
      expect(toBase64url(u8(bytes))).toBe(bytes.toString('base64url'));
      expect(Buffer.from(fromBase64url(bytes.toString('base64url'))).equals(bytes)).toBe(true);
    }
  });

  it('verifies every inclusion proof of the notary and refuses changed ones', { timeout: 30_000 }, async () => {
    for (let n = 1; n <= SIZE; n++) {
      const root = u8(roots[n - 1]!);
      for (let i = 0; i < n; i++) {
        const proof = (await inclusionProof(i, n, read)).map(u8);
        const leaf = u8(leaves[i]!);
        expect(await verifyInclusion(leaf, i, n, proof, root), `leaf ${i} of ${n}`).toBe(true);
        if (proof.length > 0) expect(await verifyInclusion(leaf, i, n, proof.map((p, k) => (k === proof.length - 1 ? flipped(Buffer.from(p)) : p)), root)).toBe(false);
        expect(await verifyInclusion(flipped(leaves[i]!), i, n, proof, root)).toBe(false);
        if (n > 1) expect(await verifyInclusion(leaf, (i + 1) % n, n, proof, root)).toBe(false);
        expect(await verifyInclusion(leaf, i, n, proof, flipped(roots[n - 1]!))).toBe(false);
      }
    }
  });

  it('verifies every consistency proof of the notary and refuses changed ones', { timeout: 30_000 }, async () => {
    for (let n = 1; n <= SIZE; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = (await consistencyProof(m, n, read)).map(u8);
        const [rootM, rootN] = [u8(roots[m - 1]!), u8(roots[n - 1]!)];
        expect(await verifyConsistency(m, n, rootM, rootN, proof), `${m} → ${n}`).toBe(true);
        if (m < n) {
          expect(await verifyConsistency(m, n, rootM, rootN, [flipped(Buffer.from(proof[0]!)), ...proof.slice(1)])).toBe(false);
          expect(await verifyConsistency(m, n, flipped(roots[m - 1]!), rootN, proof)).toBe(false);
          expect(await verifyConsistency(n, m, rootN, rootM, proof)).toBe(false);
        }
      }
    }
  });
});
