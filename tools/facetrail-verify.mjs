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
//
// Written to be read rather than to be fast: an export is checked line by line with JSON.parse and
// a direct RFC 8785 serialiser (audit:verify takes a byte-level shortcut this file does without).

import * as crypto from 'node:crypto';
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
// SHA-256(0x00 || UTF-8 of text): one call where crypto.hash exists (Node >= 20.12), else streamed.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;
const leafOfText = (text) => (oneShot ? oneShot('sha256', '\u0000' + text, 'buffer') : createHash('sha256').update(LEAF).update(text, 'utf8').digest());
const nodeInput = Buffer.alloc(65, 1);
const nodeHash = (l, r) => {
  if (!oneShot || l.length !== 32 || r.length !== 32) return sha(NODE, l, r);
  nodeInput.set(l, 1);
  nodeInput.set(r, 33);
  return oneShot('sha256', nodeInput, 'buffer');
};
const EMPTY = sha();
const b64u = (s, what) => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Fail(`${what} is not base64url`);
  return Buffer.from(s, 'base64url');
};
const hash32 = (s, what) => { const b = b64u(s, what); if (b.length !== 32) throw new Fail(`${what} is not 32 bytes`); return b; };

// ---------- RFC 8785 canonical JSON ----------
// Members sorted by UTF-16 code units (Array#sort on strings), no whitespace, strings and numbers
// as JSON.stringify writes them (a string with nothing to escape is written as is).
// eslint-disable-next-line no-control-regex
const ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const str = (s) => (ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"');
function jcs(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') { if (!Number.isFinite(v)) throw new Fail('non-finite number'); return JSON.stringify(v); }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + (v[i] === undefined ? 'null' : jcs(v[i]));
    return out + ']';
  }
  if (typeof v === 'object') {
    let out = '{';
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out += (out.length > 1 ? ',' : '') + str(k) + ':' + jcs(v[k]);
    return out + '}';
  }
  throw new Fail(`a ${typeof v} has no JSON form`);
}
function canonicalText(e) {
  const revision = String(e.revision);
  if (!/^(0|[1-9][0-9]*)$/.test(revision)) throw new Fail('revision is not a decimal integer');
  const form = e.stored ?? e;
  // jcs of { id, stream, revision, type, data, metadata, recordedAt }, its members in sorted order
  // (one that is undefined left out, as jcs leaves it out)
  const members = [['data', form.data], ['id', e.id], ['metadata', form.metadata], ['recordedAt', e.recordedAt], ['revision', revision], ['stream', e.stream], ['type', e.type]];
  let out = '{';
  for (const [k, x] of members) if (x !== undefined) out += (out.length > 1 ? ',"' : '"') + k + '":' + jcs(x);
  return out + '}';
}
const canonical = (e) => Buffer.from(canonicalText(e), 'utf8');

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
  addLeaf(leaf) { let h = leaf; let i = this.size; while (i % 2 === 1) { h = nodeHash(this.frontier.pop(), h); i = (i - 1) / 2; } this.frontier.push(h); this.size++; }
  root() { if (this.frontier.length === 0) return EMPTY; let h = this.frontier[this.frontier.length - 1]; for (let i = this.frontier.length - 2; i >= 0; i--) h = nodeHash(this.frontier[i], h); return h; }
}

// The lines of a file as readline gives them (LF, CRLF or a lone CR ends a line), split by hand: cheaper.
async function* lines(file) {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + chunk;
    if (text.indexOf('\r') >= 0) {
      // a CR at the very end may be the first half of a CRLF: it waits for the next chunk
      const cr = text.endsWith('\r');
      const parts = (cr ? text.slice(0, -1) : text).split(/\r\n|\r|\n/);
      rest = parts.pop() + (cr ? '\r' : '');
      yield* parts;
      continue;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.endsWith('\r')) yield rest.slice(0, -1);
  else if (rest !== '') yield rest;
}

async function verifyExport(file, cps) {
  const bySize = new Map(cps.map((c) => [c.treeSize, c]));
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  let next = 0; while (sizes[next] === 0) { if (!bySize.get(0).root.equals(EMPTY)) throw new Fail('checkpoint 0 does not name the empty root'); next++; }
  const tree = new Tree();
  let lastGood = 0, rangeStart = null, n = 0, line = 0, untreed = null, tail = 0;
  const at = (ord, e, idx = e.treeIndex) => `position ${ord} (tree index ${idx ?? 'none'}, event ${e.id}, ${e.stream}@${e.revision}, cursor ${e.position})`;
  for await (const text of lines(file)) {
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
    const leaf = leafOfText(canonicalText(e));
    if (e.leafHash !== undefined && !hash32(e.leafHash, 'leafHash').equals(leaf)) throw new Fail(`data differs at ${at(ord, e)}: the event no longer hashes to its recorded leaf (edited)`);
    if (expected === lastGood) rangeStart = at(ord, e);
    tree.addLeaf(leaf);
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
