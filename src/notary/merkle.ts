// The Merkle tree of the notary (RFC 6962 §2.1 / RFC 9162 §2.1): hashing, an incremental builder
// whose state is the right-edge frontier, which stored complete subtrees a proof needs, and the
// two proof verifications. Pure: node:crypto only, no I/O (callers pass a `read` for stored nodes).
//
// Sizes and indexes are plain numbers (< 2^53); no bitwise operators on them, so trees past 2^31
// leaves behave the same.

import { createHash, hash } from 'node:crypto';

export type Hash = Buffer;

export const HASH_BYTES = 32;
// One-shot crypto.hash over one buffer is about a third cheaper than createHash().update()… per node.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES, 0x01);

/** SHA-256(0x00 || canonical). */
export function leafHash(canonical: Uint8Array): Hash {
  const input = Buffer.allocUnsafe(canonical.length + 1);
  input[0] = 0x00;
  input.set(canonical, 1);
  return hash('sha256', input, 'buffer');
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) return createHash('sha256').update(Buffer.from([0x01])).update(left).update(right).digest();
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 1 + HASH_BYTES);
  return hash('sha256', nodeInput, 'buffer');
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** A complete subtree: covers leaves [index * 2^level, (index + 1) * 2^level). level 0 = a leaf. */
export interface NodeId {
  level: number;
  index: number;
}
export interface StoredNode extends NodeId {
  hash: Hash;
}

export type ReadNodes = (ids: NodeId[]) => Promise<Hash[]>;

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SIZE) throw new RangeError(`${name} must be a safe non-negative integer, got ${n}`);
}

function isPowerOf2(n: number): boolean {
  if (n < 1) return false;
  let k = n;
  while (k % 2 === 0) k /= 2;
  return k === 1;
}

/** The largest power of two strictly below n (n >= 2): RFC 6962's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function log2Exact(n: number): number {
  let level = 0;
  let k = n;
  while (k > 1) {
    k /= 2;
    level++;
  }
  return level;
}

/** Number of set bits of n (the frontier's length for a tree of size n). */
export function popCount(n: number): number {
  let c = 0;
  let k = n;
  while (k > 0) {
    if (k % 2 === 1) c++;
    k = Math.floor(k / 2);
  }
  return c;
}

/**
 * The complete subtrees of the range [start, start + size) that RFC 6962's recursive split yields,
 * largest (leftmost) first. `start` is a multiple of the largest one, as every range a proof names is.
 */
export function rangeNodes(start: number, size: number): NodeId[] {
  const out: NodeId[] = [];
  let s = start;
  let rest = size;
  while (rest > 0) {
    let k = 1;
    while (k * 2 <= rest) k *= 2;
    out.push({ level: log2Exact(k), index: s / k });
    s += k;
    rest -= k;
  }
  return out;
}

/** MTH of a range from its complete subtrees (largest first): folded from the right edge. */
export function combineRange(parts: readonly Hash[]): Hash {
  const last = parts[parts.length - 1];
  if (last === undefined) return EMPTY_ROOT;
  let h = last;
  for (let i = parts.length - 2; i >= 0; i--) h = nodeHash(parts[i]!, h);
  return h;
}

/** Incremental builder; its state is the right-edge frontier (one complete subtree per set bit of size). */
export class MerkleBuilder {
  #size: number;
  readonly #frontier: Hash[];

  /** Resume: `frontier` = hashes of the complete subtrees of `size`, largest first. */
  constructor(size = 0, frontier: readonly Hash[] = []) {
    checkSize('size', size);
    if (frontier.length !== popCount(size)) {
      throw new RangeError(`a tree of size ${size} has ${popCount(size)} frontier hashes, got ${frontier.length}`);
    }
    for (const h of frontier) {
      if (h.length !== HASH_BYTES) throw new RangeError(`frontier hash of ${h.length} bytes, expected ${HASH_BYTES}`);
    }
    this.#size = size;
    this.#frontier = [...frontier];
  }

  get size(): number {
    return this.#size;
  }

  get frontier(): readonly Hash[] {
    return this.#frontier;
  }

  /** Adds a leaf hash; returns every complete subtree completed by it (the leaf itself first, then its parents). */
  addLeaf(leaf: Hash): StoredNode[] {
    if (leaf.length !== HASH_BYTES) throw new RangeError(`leaf hash of ${leaf.length} bytes, expected ${HASH_BYTES}`);
    if (this.#size >= MAX_SIZE) throw new RangeError('tree is full');
    let index = this.#size;
    let level = 0;
    let h = leaf;
    const out: StoredNode[] = [{ level, index, hash: h }];
    // Each trailing 1 bit of the old size is a complete subtree of the same level to merge with.
    while (index % 2 === 1) {
      const left = this.#frontier.pop()!;
      h = nodeHash(left, h);
      level++;
      index = (index - 1) / 2;
      out.push({ level, index, hash: h });
    }
    this.#frontier.push(h);
    this.#size++;
    return out;
  }

  /** MTH of the current size. */
  root(): Hash {
    return combineRange(this.#frontier);
  }
}

type Range = readonly [start: number, size: number];

/** RFC 6962 PATH(m, D[start:start+n]) as ranges whose MTH are the proof elements, bottom-up. */
function pathRanges(m: number, start: number, n: number, out: Range[]): void {
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    pathRanges(m, start, k, out);
    out.push([start + k, n - k]);
  } else {
    pathRanges(m - k, start + k, n - k, out);
    out.push([start, k]);
  }
}

/** RFC 6962 SUBPROOF(m, D[start:start+n], b) as ranges. */
function subproofRanges(m: number, start: number, n: number, b: boolean, out: Range[]): void {
  if (m === n) {
    if (!b) out.push([start, n]);
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproofRanges(m, start, k, b, out);
    out.push([start + k, n - k]);
  } else {
    subproofRanges(m - k, start + k, n - k, false, out);
    out.push([start, k]);
  }
}

function inclusionRanges(index: number, size: number): Range[] {
  checkSize('size', size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  const out: Range[] = [];
  pathRanges(index, 0, size, out);
  return out;
}

function consistencyRanges(m: number, n: number): Range[] {
  checkSize('m', m);
  checkSize('n', n);
  if (m > n) throw new RangeError(`no consistency proof from size ${m} to the smaller size ${n}`);
  const out: Range[] = [];
  if (m > 0 && m < n) subproofRanges(m, 0, n, true, out);
  return out;
}

function nodesOf(ranges: readonly Range[]): NodeId[] {
  return ranges.flatMap(([s, z]) => rangeNodes(s, z));
}

async function resolve(ranges: readonly Range[], read: ReadNodes): Promise<Hash[]> {
  const parts = ranges.map(([s, z]) => rangeNodes(s, z));
  const ids = parts.flat();
  const hashes = ids.length === 0 ? [] : await read(ids);
  if (hashes.length !== ids.length) throw new Error(`read returned ${hashes.length} hashes for ${ids.length} nodes`);
  let i = 0;
  return parts.map((p) => {
    const hs = hashes.slice(i, i + p.length);
    i += p.length;
    return combineRange(hs);
  });
}

/** The stored complete subtrees an inclusion proof of `index` in a tree of `size` needs (in proof order). */
export function inclusionProofNodes(index: number, size: number): NodeId[] {
  return nodesOf(inclusionRanges(index, size));
}

/** The stored complete subtrees a consistency proof from size m to size n needs (in proof order). */
export function consistencyProofNodes(m: number, n: number): NodeId[] {
  return nodesOf(consistencyRanges(m, n));
}

/** RFC 6962 PATH: the audit path of leaf `index` in the tree of `size`, bottom-up. */
export async function inclusionProof(index: number, size: number, read: ReadNodes): Promise<Hash[]> {
  return resolve(inclusionRanges(index, size), read);
}

/** RFC 6962 PROOF(m, D[n]); empty when m is 0 or m equals n. */
export async function consistencyProof(m: number, n: number, read: ReadNodes): Promise<Hash[]> {
  return resolve(consistencyRanges(m, n), read);
}

/** MTH of the tree of `size` (an older size than the builder's, say) from stored nodes. */
export async function rootFromNodes(size: number, read: ReadNodes): Promise<Hash> {
  checkSize('size', size);
  if (size === 0) return EMPTY_ROOT;
  const [root] = await resolve([[0, size]], read);
  return root!;
}

function isHash(h: Hash): boolean {
  return h.length === HASH_BYTES;
}

function validSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `leaf` at `index` in the tree of `size` whose root is `root`? */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!validSize(index) || !validSize(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of size n with root `rootN` extends the tree
 * of size m with root `rootM`? As in trillian / transparency-dev: m = n needs an empty proof and equal
 * roots; m = 0 needs an empty proof (every tree extends the empty one); m > n is never consistent.
 */
export function verifyConsistency(m: number, n: number, rootM: Hash, rootN: Hash, proof: readonly Hash[]): boolean {
  if (!validSize(m) || !validSize(n) || m > n) return false;
  if (!proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && isHash(rootM) && rootM.equals(rootN);
  if (m === 0) return proof.length === 0;
  if (!isHash(rootM) || !isHash(rootN) || proof.length === 0) return false;
  const path = isPowerOf2(m) ? [rootM, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(rootM) && sr.equals(rootN);
}
