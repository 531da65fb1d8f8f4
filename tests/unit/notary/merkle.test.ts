// The notary's Merkle core against the RFC 6962 test vectors published by transparency-dev/merkle
// (testonly/constants.go, proof/verify_test.go: the 8-leaf example) and against a naive recursive
// reference written straight from RFC 6962 §2.1 (MTH, PATH, SUBPROOF) over every size 1..300.

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  type Hash,
  MerkleBuilder,
  type NodeId,
  consistencyProof,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofNodes,
  leafHash,
  nodeHash,
  rootFromNodes,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/notary/merkle.js';

const hx = (s: string): Buffer => Buffer.from(s, 'hex');

// RFC 6962 example leaves and the published hashes (transparency-dev/merkle testonly).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hx);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hx);
const NODE_HASHES: string[][] = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
// (leaf index 0-based, tree size, proof)
const INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

/** A node store filled from the builder's output, as the notary keeps it. */
class NodeMap {
  readonly nodes = new Map<string, Hash>();
  add(stored: { level: number; index: number; hash: Hash }[]): void {
    for (const n of stored) this.nodes.set(`${n.level}/${n.index}`, n.hash);
  }
  read = (ids: NodeId[]): Promise<Hash[]> =>
    Promise.resolve(
      ids.map((id) => {
        const h = this.nodes.get(`${id.level}/${id.index}`);
        if (!h) throw new Error(`node ${id.level}/${id.index} not stored`);
        return h;
      }),
    );
}

function build(leafHashes: readonly Hash[]): { builder: MerkleBuilder; store: NodeMap; roots: Hash[] } {
  const builder = new MerkleBuilder();
  const store = new NodeMap();
  const roots: Hash[] = [EMPTY_ROOT];
  for (const l of leafHashes) {
    store.add(builder.addLeaf(l));
    roots.push(builder.root());
  }
  return { builder, store, roots };
}

// ---- naive reference, straight from RFC 6962 §2.1 (memoised MTH over one leaf array) ----
function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function makeReference(leaves: readonly Hash[]) {
  const memo = new Map<string, Hash>();
  const mth = (start: number, n: number): Hash => {
    if (n === 0) return createHash('sha256').digest();
    if (n === 1) return leaves[start]!;
    const key = `${start}:${n}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const k = largestPow2Below(n);
    const h = nodeHash(mth(start, k), mth(start + k, n - k));
    memo.set(key, h);
    return h;
  };
  const path = (m: number, start: number, n: number): Hash[] => {
    if (n === 1) return [];
    const k = largestPow2Below(n);
    return m < k ? [...path(m, start, k), mth(start + k, n - k)] : [...path(m - k, start + k, n - k), mth(start, k)];
  };
  const subproof = (m: number, start: number, n: number, b: boolean): Hash[] => {
    if (m === n) return b ? [] : [mth(start, n)];
    const k = largestPow2Below(n);
    return m <= k
      ? [...subproof(m, start, k, b), mth(start + k, n - k)]
      : [...subproof(m - k, start + k, n - k, false), mth(start, k)];
  };
  return { mth: (n: number) => mth(0, n), path: (m: number, n: number) => path(m, 0, n), proof: (m: number, n: number) => subproof(m, 0, n, true) };
}

const flip = (h: Hash, byte = 0, bit = 3): Hash => {
  const c = Buffer.from(h);
  c[byte] = c[byte]! ^ (1 << bit);
  return c;
};

describe('RFC 6962 test vectors (transparency-dev/merkle)', () => {
  const leafHashes = LEAVES.map((l) => leafHash(l));
  const { store, roots } = build(leafHashes);

  it('hashes the empty tree, the leaves and every complete subtree as published', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]!.toString('hex'));
    NODE_HASHES.forEach((level, l) =>
      level.forEach((hash, i) => expect(store.nodes.get(`${l}/${i}`)?.toString('hex'), `node ${l}/${i}`).toBe(hash)),
    );
  });

  it('computes the published root of every size 0..8, from the builder and from stored nodes', async () => {
    for (let n = 0; n <= 8; n++) {
      expect(roots[n]!.toString('hex'), `size ${n}`).toBe(ROOTS[n]!.toString('hex'));
      expect((await rootFromNodes(n, store.read)).toString('hex')).toBe(ROOTS[n]!.toString('hex'));
    }
  });

  it('resumes from a frontier (the compact tree) and reaches the same roots', () => {
    const mid = build(leafHashes.slice(0, 5)).builder;
    expect(mid.frontier.map((h) => h.toString('hex'))).toEqual([NODE_HASHES[2]![0], NODE_HASHES[0]![4]]);
    const resumed = new MerkleBuilder(mid.size, mid.frontier);
    for (const l of leafHashes.slice(5)) resumed.addLeaf(l);
    expect(resumed.root().toString('hex')).toBe(ROOTS[8]!.toString('hex'));
    expect(() => new MerkleBuilder(5, [EMPTY_ROOT])).toThrow(RangeError);
  });

  it.each(INCLUSION)('inclusion proof of leaf %i in size %i: generated and verified as published', async (index, size, proofHex) => {
    const proof = await inclusionProof(index, size, store.read);
    expect(proof.map((h) => h.toString('hex'))).toEqual(proofHex);
    expect(verifyInclusion(leafHashes[index]!, index, size, proof, ROOTS[size]!)).toBe(true);
    // the corruptions of transparency-dev's verifier test
    const root = ROOTS[size]!;
    const leaf = leafHashes[index]!;
    const bad: [Hash, number, number, readonly Hash[], Hash][] = [
      [leaf, index - 1, size, proof, root],
      [leaf, index + 1, size, proof, root],
      [leaf, index ^ 2, size, proof, root],
      [leaf, index, size * 2, proof, root],
      [leaf, index, Math.floor(size / 2), proof, root],
      [leafHash(Buffer.from('WrongLeaf')), index, size, proof, root],
      [leaf, index, size, proof, EMPTY_ROOT],
      [leaf, index, size, [...proof, root], root],
      [leaf, index, size, [root, ...proof], root],
      [leaf, index, size, proof.slice(0, -1), root],
      ...proof.map((_, i): [Hash, number, number, readonly Hash[], Hash] => [leaf, index, size, proof.map((p, j) => (i === j ? flip(p) : p)), root]),
    ];
    for (const [l, i, s, p, r] of bad) expect(verifyInclusion(l, i, s, p, r), `index ${i} size ${s}`).toBe(false);
  });

  it.each(CONSISTENCY)('consistency proof %i -> %i: generated and verified as published', async (m, n, proofHex) => {
    const proof = await consistencyProof(m, n, store.read);
    expect(proof.map((h) => h.toString('hex'))).toEqual(proofHex);
    const r1 = ROOTS[m]!;
    const r2 = ROOTS[n]!;
    expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);
    const bad: [number, number, Hash, Hash, readonly Hash[]][] = [
      [m - 1, n, r1, r2, proof],
      [m + 1, n, r1, r2, proof],
      [m ^ 2, n, r1, r2, proof],
      [m, n * 2, r1, r2, proof],
      [m, Math.floor(n / 2), r1, r2, proof],
      [m, n, flip(r1), r2, proof],
      [m, n, r1, flip(r2), proof],
      [m, n, r2, r1, proof],
      [m, n, r1, r2, []],
      [m, n, r1, r2, [...proof, r1]],
      [m, n, r1, r2, [...proof, r2]],
      [m, n, r1, r2, [r1, ...proof]],
      [m, n, r1, r2, [r2, ...proof]],
      [m, n, r1, r2, [proof[0]!, ...proof]],
      [m, n, r1, r2, proof.slice(0, -1)],
      ...proof.map((_, i): [number, number, Hash, Hash, readonly Hash[]] => [m, n, r1, r2, proof.map((p, j) => (i === j ? flip(p, 0, 4) : p))]),
    ];
    for (const [a, b, x, y, p] of bad) expect(verifyConsistency(a, b, x, y, p), `${a} -> ${b}`).toBe(false);
  });

  it('treats the trivial consistency cases as trillian does', () => {
    const some = ROOTS[3]!;
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, ROOTS[5]!, [])).toBe(true);
    expect(verifyConsistency(3, 3, some, some, [])).toBe(true);
    expect(verifyConsistency(3, 3, some, ROOTS[4]!, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, ROOTS[1]!, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(3, 3, some, some, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(2, 1, ROOTS[2]!, ROOTS[1]!, [])).toBe(false);
    expect(verifyConsistency(1, 2, ROOTS[1]!, ROOTS[2]!, [])).toBe(false);
    expect(verifyInclusion(leafHashes[0]!, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(leafHashes[0]!, 1, 1, [], leafHashes[0]!)).toBe(false);
    expect(verifyInclusion(leafHashes[0]!, 0, 1, [], leafHashes[0]!)).toBe(true);
  });
});

describe('against a naive RFC 6962 reference, every size 1..300', () => {
  const N = 300;
  const leafHashes = Array.from({ length: N }, () => leafHash(randomBytes(1 + Math.floor(Math.random() * 40))));
  const ref = makeReference(leafHashes);
  const { store, roots } = build(leafHashes);

  it('roots (builder and stored nodes)', async () => {
    for (let n = 1; n <= N; n++) {
      expect(roots[n]!.equals(ref.mth(n)), `size ${n}`).toBe(true);
      expect((await rootFromNodes(n, store.read)).equals(ref.mth(n))).toBe(true);
    }
  });

  it('every inclusion proof equals PATH and verifies; a wrong leaf, index, size or root is rejected', async () => {
    for (let n = 1; n <= N; n++) {
      const root = roots[n]!;
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, store.read);
        const want = ref.path(i, n);
        if (proof.length !== want.length || proof.some((h, j) => !h.equals(want[j]!))) throw new Error(`PATH(${i}, ${n}) differs`);
        expect(inclusionProofNodes(i, n).length).toBeGreaterThanOrEqual(proof.length);
        const leaf = leafHashes[i]!;
        if (!verifyInclusion(leaf, i, n, proof, root)) throw new Error(`inclusion ${i}/${n} does not verify`);
        if (verifyInclusion(leafHashes[(i + 1) % N]!, i, n, proof, root) && n > 1) throw new Error(`wrong leaf accepted ${i}/${n}`);
        if (n > 1 && verifyInclusion(leaf, (i + 1) % n, n, proof, root)) throw new Error(`wrong index accepted ${i}/${n}`);
        if (n < N && verifyInclusion(leaf, i, n + 1, proof, roots[n + 1]!)) throw new Error(`wrong size accepted ${i}/${n}`);
        if (verifyInclusion(leaf, i, n, proof, flip(root, 31, 0))) throw new Error(`wrong root accepted ${i}/${n}`);
        if (proof.length > 0 && verifyInclusion(leaf, i, n, [flip(proof[0]!), ...proof.slice(1)], root)) throw new Error(`tampered proof accepted ${i}/${n}`);
      }
    }
  }, 120_000);

  it('every consistency proof equals PROOF and verifies; wrong sizes, roots and proofs are rejected', async () => {
    for (let n = 1; n <= N; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, store.read);
        const want = m === n ? [] : ref.proof(m, n);
        if (proof.length !== want.length || proof.some((h, j) => !h.equals(want[j]!))) throw new Error(`PROOF(${m}, ${n}) differs`);
        expect(consistencyProofNodes(m, n).length).toBeGreaterThanOrEqual(proof.length);
        if (!verifyConsistency(m, n, roots[m]!, roots[n]!, proof)) throw new Error(`consistency ${m}->${n} does not verify`);
        if (m === n) continue;
        if (verifyConsistency(m, n, flip(roots[m]!), roots[n]!, proof)) throw new Error(`wrong old root accepted ${m}->${n}`);
        if (verifyConsistency(m, n, roots[m]!, flip(roots[n]!), proof)) throw new Error(`wrong new root accepted ${m}->${n}`);
        if (verifyConsistency(m + 1, n, roots[m + 1]!, roots[n]!, proof) && m + 1 < n) throw new Error(`wrong size accepted ${m}->${n}`);
        if (verifyConsistency(m, n, roots[m]!, roots[n]!, proof.map((p, j) => (j === proof.length - 1 ? flip(p) : p)))) {
          throw new Error(`tampered proof accepted ${m}->${n}`);
        }
      }
    }
  }, 120_000);

  it('rejects indexes and sizes outside the tree when building proofs', async () => {
    await expect(inclusionProof(5, 5, store.read)).rejects.toThrow(RangeError);
    await expect(consistencyProof(6, 5, store.read)).rejects.toThrow(RangeError);
    expect(() => inclusionProofNodes(-1, 5)).toThrow(RangeError);
    expect(consistencyProofNodes(0, 5)).toEqual([]);
  });
});
