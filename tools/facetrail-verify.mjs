#!/usr/bin/env node
/* global Buffer, process, URL */
// facetrail-verify: a standalone verifier of facetrail's notary proofs, for auditors who do not want
// to trust facetrail's own code path. One file, plain Node (>= 18): node:crypto, node:fs and
// node:readline only; it imports nothing from facetrail.
//
//   node facetrail-verify.mjs inclusion   proof.json  --jwks jwks.json
//       proof.json: GET /v1/audit/events/{id}/proof?checkpoint=n
//       { eventId, leafIndex, treeSize, leafHash, auditPath: [b64u], canonical?: b64u, checkpoint }
//   node facetrail-verify.mjs consistency proof.json  --jwks jwks.json
//       proof.json: GET /v1/audit/checkpoints/consistency?from=m&to=n   { from, to, proof: [b64u] }
//   node facetrail-verify.mjs export      log.ndjson  --checkpoint cp.json [--checkpoint cp2.json ...] --jwks jwks.json
//       log.ndjson: GET /v1/audit/export.ndjson?form=stored (one event per line, in global order)
//       cp.json:    GET /v1/audit/checkpoints/{treeSize}
//   node facetrail-verify.mjs canonical   events.ndjson     (prints base64url canonical bytes per line)
//
// jwks.json: GET /.well-known/jwks.json ({ keys: [...] }) or one JWK. Exit 0: verified; 1: does not
// verify (the reason, and for an export the first bad event, on stdout); 2: bad usage or input.
//
// What is checked: a checkpoint is a compact JWS (alg EdDSA, typ facetrail-checkpoint+jws) whose
// payload { treeSize, rootHash, position, signedAt } is trusted only after its Ed25519 signature
// verifies. Leaf = SHA-256(0x00 || canonical), node = SHA-256(0x01 || left || right) (RFC 6962);
// canonical = UTF-8 of the RFC 8785 JSON of { id, stream, revision (string), type, data, metadata,
// recordedAt (ISO) } with data and metadata as stored (sealed fields as ciphertext).

import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TYP = 'facetrail-checkpoint+jws';

class Usage extends Error {}
class Fail extends Error {}

// ---------- hashing (RFC 6962) ----------
const sha = (...parts) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest(); };
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const leafHash = (bytes) => sha(LEAF, bytes);
const nodeHash = (l, r) => sha(NODE, l, r);
const EMPTY = sha();
const b64u = (s, what) => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Fail(`${what} is not base64url`);
  return Buffer.from(s, 'base64url');
};
const hash32 = (s, what) => { const b = b64u(s, what); if (b.length !== 32) throw new Fail(`${what} is not 32 bytes`); return b; };

// ---------- RFC 8785 canonical JSON ----------
function jcs(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') { if (!Number.isFinite(v)) throw new Fail('non-finite number'); return JSON.stringify(v); }
  if (Array.isArray(v)) return '[' + v.map((x) => (x === undefined ? 'null' : jcs(x))).join(',') + ']';
  if (typeof v === 'object') {
    const parts = [];
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) parts.push(JSON.stringify(k) + ':' + jcs(v[k]));
    return '{' + parts.join(',') + '}';
  }
  throw new Fail(`a ${typeof v} has no JSON form`);
}
function canonical(e) {
  const revision = String(e.revision);
  if (!/^(0|[1-9][0-9]*)$/.test(revision)) throw new Fail('revision is not a decimal integer');
  const form = e.stored ?? e;
  return Buffer.from(jcs({ id: e.id, stream: e.stream, revision, type: e.type, data: form.data, metadata: form.metadata, recordedAt: e.recordedAt }), 'utf8');
}

// ---------- checkpoints ----------
function loadKeys(path) {
  const j = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(j.keys) ? j.keys : [j];
  return list.filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519').map((k) => ({ kid: k.kid, key: createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' }) }));
}
function checkpoint(cp, keys) {
  if (!cp || typeof cp.jws !== 'string') throw new Fail('checkpoint has no jws');
  const parts = cp.jws.split('.');
  if (parts.length !== 3) throw new Fail('checkpoint jws is not a compact JWS');
  const [h, p, s] = parts;
  let header, payload;
  try { header = JSON.parse(b64u(h, 'jws header').toString('utf8')); payload = JSON.parse(b64u(p, 'jws payload').toString('utf8')); } catch (e) { throw new Fail(`checkpoint jws unreadable: ${e.message}`); }
  if (header.alg !== 'EdDSA' || header.typ !== TYP || header.crit !== undefined) throw new Fail(`checkpoint header ${JSON.stringify(header)} is not {alg: EdDSA, typ: ${TYP}}`);
  const candidates = keys.filter((k) => k.kid === header.kid);
  if (candidates.length === 0) throw new Fail(`no Ed25519 key with kid ${header.kid} in the JWKS`);
  const signed = Buffer.from(`${h}.${p}`, 'ascii');
  if (!candidates.some((k) => verify(null, signed, k.key, b64u(s, 'signature')))) throw new Fail(`checkpoint ${payload.treeSize}: signature does not verify`);
  if (!Number.isSafeInteger(payload.treeSize) || payload.treeSize < 0) throw new Fail('checkpoint treeSize is not an integer');
  return { treeSize: payload.treeSize, root: hash32(payload.rootHash, 'rootHash'), position: payload.position, signedAt: payload.signedAt };
}

// ---------- proofs (RFC 9162 §2.1.3.2, §2.1.4.2) ----------
function verifyInclusion(leaf, index, size, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}
function verifyConsistency(m, n, rootM, rootN, proof) {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (m === n) return proof.length === 0 && rootM.equals(rootN);
  if (m === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  let pow2 = m; while (pow2 % 2 === 0) pow2 /= 2;
  const path = pow2 === 1 ? [rootM, ...proof] : [...proof];
  let fn = m - 1, sn = n - 1;
  while (fn % 2 === 1) { fn = (fn - 1) / 2; sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr); sr = nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
    } else sr = nodeHash(sr, c);
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(rootM) && sr.equals(rootN);
}

// ---------- incremental tree over an export ----------
class Tree {
  size = 0; frontier = [];
  append(leaf) { let h = leaf; let i = this.size; while (i % 2 === 1) { h = nodeHash(this.frontier.pop(), h); i = (i - 1) / 2; } this.frontier.push(h); this.size++; }
  root() { if (this.frontier.length === 0) return EMPTY; let h = this.frontier[this.frontier.length - 1]; for (let i = this.frontier.length - 2; i >= 0; i--) h = nodeHash(this.frontier[i], h); return h; }
}

async function verifyExport(file, cps) {
  const bySize = new Map(cps.map((c) => [c.treeSize, c]));
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  let next = 0; while (sizes[next] === 0) { if (!bySize.get(0).root.equals(EMPTY)) throw new Fail('checkpoint 0 does not name the empty root'); next++; }
  const tree = new Tree();
  let lastGood = 0, rangeStart = null, n = 0, line = 0, untreed = null, tail = 0;
  const at = (ord, e, idx = e.treeIndex) => `position ${ord} (tree index ${idx ?? 'none'}, event ${e.id}, ${e.stream}@${e.revision}, cursor ${e.position})`;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    let e;
    try { e = JSON.parse(text); } catch { throw new Usage(`${file} line ${line}: not JSON`); }
    if (e.checkpoint) continue;
    const ord = n++;
    if (e.treeIndex === undefined || e.treeIndex === null) { untreed ??= { ord, e }; tail++; continue; }
    if (untreed) throw new Fail(`unexpected event at ${at(untreed.ord, untreed.e)}: no tree index, yet notarised events follow (forged or inserted)`);
    const expected = tree.size;
    if (e.treeIndex < expected) throw new Fail(`unexpected event at ${at(ord, e)}: tree index ${e.treeIndex} again (duplicated or forged)`);
    if (e.treeIndex > expected) throw new Fail(`index gap at ${at(ord, e, expected)}: tree index ${expected} is missing, the next event has ${e.treeIndex} (deleted or reordered)`);
    const leaf = leafHash(canonical(e));
    if (e.leafHash !== undefined && !hash32(e.leafHash, 'leafHash').equals(leaf)) throw new Fail(`data differs at ${at(ord, e)}: the event no longer hashes to its recorded leaf (edited)`);
    if (expected === lastGood) rangeStart = at(ord, e);
    tree.append(leaf);
    if (sizes[next] === tree.size) {
      if (!tree.root().equals(bySize.get(tree.size).root)) throw new Fail(`root mismatch at checkpoint ${tree.size}: a leaf in [${lastGood}, ${tree.size}) was rewritten; the range starts at ${rangeStart}`);
      lastGood = tree.size; next++;
    }
  }
  if (next < sizes.length) throw new Fail(`log ends early: ${tree.size} notarised events, checkpoint ${sizes[next]} signs more (events deleted at the end); first missing: position ${n - tail} (tree index ${tree.size})`);
  return `OK: ${n} events, tree size ${tree.size}, root ${tree.root().toString('base64url')}, checkpoints ${sizes.join(', ') || 'none'} verified${tail ? `; ${tail} events at the end not notarised yet (not covered)` : ''}`;
}

// ---------- command line ----------
function parseArgs(argv) {
  const [mode, file, ...rest] = argv;
  const opts = { checkpoint: [], jwks: undefined };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--jwks') opts.jwks = rest[++i];
    else if (a === '--checkpoint') opts.checkpoint.push(rest[++i]);
    else throw new Usage(`unknown option ${a}`);
    if (rest[i] === undefined) throw new Usage(`${a} needs a value`);
  }
  if (!mode || !file) throw new Usage('a mode and a file are required');
  return { mode, file, opts };
}
const readJson = (p) => { try { return JSON.parse(readFileSync(p, 'utf8')); } catch (e) { throw new Usage(`${p}: ${e.message}`); } };
const needKeys = (opts) => { if (!opts.jwks) throw new Usage('--jwks is required'); return loadKeys(opts.jwks); };

async function main(argv) {
  if (argv.includes('--help') || argv.length === 0) { process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(2, 22).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n'); return 0; }
  const { mode, file, opts } = parseArgs(argv);
  if (mode === 'canonical') {
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const text of rl) if (text.trim()) process.stdout.write(canonical(JSON.parse(text)).toString('base64url') + '\n');
    return 0;
  }
  const keys = needKeys(opts);
  if (mode === 'inclusion') {
    const p = readJson(file);
    const cp = checkpoint(p.checkpoint, keys);
    if (p.treeSize !== cp.treeSize) throw new Fail(`proof treeSize ${p.treeSize} is not the checkpoint's signed ${cp.treeSize}`);
    const leaf = hash32(p.leafHash, 'leafHash');
    if (p.canonical !== undefined && !leafHash(b64u(p.canonical, 'canonical')).equals(leaf)) throw new Fail('leafHash is not SHA-256(0x00 || canonical)');
    if (!Array.isArray(p.auditPath)) throw new Fail('auditPath is not an array');
    const path = p.auditPath.map((h, i) => hash32(h, `auditPath[${i}]`));
    if (!verifyInclusion(leaf, p.leafIndex, cp.treeSize, path, cp.root)) throw new Fail(`inclusion proof of leaf ${p.leafIndex} in checkpoint ${cp.treeSize} does not verify`);
    return `OK: event ${p.eventId ?? '?'} is leaf ${p.leafIndex} of the tree of ${cp.treeSize} signed at ${cp.signedAt}`;
  }
  if (mode === 'consistency') {
    const p = readJson(file);
    const a = checkpoint(p.from, keys);
    const b = checkpoint(p.to, keys);
    if (!Array.isArray(p.proof)) throw new Fail('proof is not an array');
    const proof = p.proof.map((h, i) => hash32(h, `proof[${i}]`));
    if (!verifyConsistency(a.treeSize, b.treeSize, a.root, b.root, proof)) throw new Fail(`consistency proof ${a.treeSize} -> ${b.treeSize} does not verify`);
    return `OK: the tree of ${b.treeSize} extends the tree of ${a.treeSize}`;
  }
  if (mode === 'export') {
    if (opts.checkpoint.length === 0) throw new Usage('--checkpoint is required');
    const cps = opts.checkpoint.map((f) => checkpoint(readJson(f), keys));
    return verifyExport(file, cps);
  }
  throw new Usage(`unknown mode ${mode}`);
}

main(process.argv.slice(2)).then(
  (r) => { if (typeof r === 'string') process.stdout.write(r + '\n'); process.exitCode = 0; },
  (e) => {
    if (e instanceof Fail) { process.stdout.write(`FAIL: ${e.message}\n`); process.exitCode = 1; }
    else { process.stderr.write(`facetrail-verify: ${e.message}\n`); process.exitCode = 2; }
  },
);
