// The notary's RFC 6962 / RFC 9162 hashing, checked in the browser with crypto.subtle: leaf =
// SHA-256(0x00 || canonical event), node = SHA-256(0x01 || left || right), and the two proof
// checks (inclusion §2.1.3.2, consistency §2.1.4.2) as src/notary/merkle.ts defines them. The
// console trusts nothing the server computed: it hashes the canonical bytes itself and folds the
// path up to the root that the signed checkpoint names.

export type Hash = Uint8Array<ArrayBuffer>;

const HASH_BYTES = 32;

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function sha256(prefix: number, ...parts: readonly Uint8Array[]): Promise<Hash> {
  const input = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  input[0] = prefix;
  let at = 1;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

/** SHA-256(0x00 || canonical). */
export const leafHash = (canonical: Uint8Array) => sha256(0x00, canonical);
/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Hash, right: Hash) => sha256(0x01, left, right);

export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const isHash = (h: Uint8Array) => h.length === HASH_BYTES;
const validSize = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** Does `proof` lead from leaf number `index` of a tree of `size` leaves to `root`? */
export async function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): Promise<boolean> {
  if (!validSize(index) || !validSize(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
}

function isPowerOf2(n: number): boolean {
  if (n < 1) return false;
  let k = n;
  while (k % 2 === 0) k /= 2;
  return k === 1;
}

/** Does `proof` show that the tree of size n (root rootN) extends the tree of size m (root rootM)? */
export async function verifyConsistency(m: number, n: number, rootM: Hash, rootN: Hash, proof: readonly Hash[]): Promise<boolean> {
  if (!validSize(m) || !validSize(n) || m > n) return false;
  if (!proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && isHash(rootM) && equalHashes(rootM, rootN);
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
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, rootM) && equalHashes(sr, rootN);
}
