// The verification core of `facetrail audit:verify` (online over the database, offline over an
// export): recompute the notary's tree from the log in global order and check it against signed
// checkpoints. It stops at the FIRST bad position and says what is wrong there:
//   data_differs           the event's canonical form no longer hashes to the notary's recorded leaf (an edit)
//   index_gap              a tree index is missing (an event deleted from the middle)
//   index_out_of_order     the missing index shows up later (events swapped)
//   unexpected_event       an event the tree does not have before notarised ones, or an index already
//                          seen (a forged or duplicated event)
//   log_ends_early         the log stops before a checkpoint's tree size or the notary's leaves (deleted last K)
//   root_mismatch          the recomputed root differs from a checkpoint's (leaves rewritten consistently,
//                          somewhere between the previous good checkpoint and this one)
//   bad_signature          a checkpoint's JWS does not verify against the given JWKs (or is malformed)
// Events at the end of the log with no tree index (not notarised yet) are counted as the tail and
// not verified: no checkpoint covers them.

import { createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { eventLeafHash, type CanonicalInput } from './canonical.js';
import { type Hash, HASH_BYTES, MerkleBuilder } from './merkle.js';

export const CHECKPOINT_TYP = 'facetrail-checkpoint+jws';

/** The JSON form of a signed checkpoint (API, cp.json, export trailer). Only the JWS payload is trusted. */
export interface CheckpointJson {
  treeSize: number;
  rootHash: string;
  position: string;
  signedAt: string;
  kid: string;
  jws: string;
}

/** A checkpoint whose signature verified: its payload. */
export interface VerifiedCheckpoint {
  treeSize: number;
  rootHash: Hash;
  position: string;
  signedAt: string;
  kid: string;
}

export interface LogEntry {
  /** The event's position cursor (reported, not hashed). */
  position: string;
  /** The tree index the notary gave it; undefined when it has none (not notarised yet, or forged). */
  treeIndex: number | undefined;
  /** The leaf hash the notary recorded, when available (online: notary.leaves; export: leafHash). */
  recordedLeaf?: Hash | undefined;
  /** What the canonical form covers, as stored (sealed fields as ciphertext). */
  event: CanonicalInput;
  /**
   * eventLeafHash(event), when the reader computed it already (the export reader's fast path, from
   * the line's bytes); otherwise verifyLog computes it.
   */
  leaf?: Hash | undefined;
}

export type FailureReason =
  | 'data_differs'
  | 'index_gap'
  | 'index_out_of_order'
  | 'unexpected_event'
  | 'log_ends_early'
  | 'root_mismatch'
  | 'bad_signature'
  | 'bad_input';

export interface BadPosition {
  /** 0-based place in the log as read (the n-th event). */
  ordinal: number;
  treeIndex?: number | undefined;
  eventId?: string;
  stream?: string;
  revision?: string;
  position?: string;
}

export interface VerifyFailure {
  ok: false;
  reason: FailureReason;
  message: string;
  at: BadPosition;
  /** The checkpoint concerned (root_mismatch, log_ends_early, bad_signature). */
  checkpoint?: number;
  /** root_mismatch: the leaves [from, to) that hold the rewrite. */
  range?: { from: number; to: number };
  events: number;
  seconds: number;
}

export interface VerifySuccess {
  ok: true;
  /** Events read (notarised ones plus the tail). */
  events: number;
  treeSize: number;
  /** Events at the end with no tree index yet: read, not covered by any checkpoint. */
  tail: number;
  checkpointsChecked: number[];
  root: Hash;
  seconds: number;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

export interface Progress {
  count: number;
  eventsPerSecond: number;
  /** The tree size the last checkpoint (of those given) names: what the count is heading for. */
  target: number;
}

export interface VerifyOptions {
  checkpoints: readonly CheckpointJson[];
  /** Public keys (JWK, OKP Ed25519) the checkpoints may be signed with. */
  jwks: readonly JsonWebKey[];
  /** The notary's own tree size (online: the number of leaves): the log must reach it. */
  expectedTreeSize?: number;
  onProgress?: (p: Progress) => void;
  /** Events between two progress calls (10 000). */
  progressEvery?: number;
  /** How far past a missing index to look for it (to tell a swap from a deletion); 10 000. */
  lookahead?: number;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(readonly treeSize: number | undefined, message: string) {
    super(message);
  }
}

function b64uJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error(`${what} is not base64url`);
  const parsed: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function keysById(jwks: readonly JsonWebKey[]): Map<string | undefined, KeyObject[]> {
  const out = new Map<string | undefined, KeyObject[]>();
  for (const jwk of jwks) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
    const kid = typeof jwk['kid'] === 'string' ? jwk['kid'] : undefined;
    const { d: _private, ...pub } = jwk;
    const key = createPublicKey({ key: pub, format: 'jwk' });
    out.set(kid, [...(out.get(kid) ?? []), key]);
  }
  return out;
}

/** Checks one checkpoint's JWS against the keys and returns its payload (throws CheckpointError). */
export function verifyCheckpoint(cp: CheckpointJson, jwks: readonly JsonWebKey[]): VerifiedCheckpoint {
  return verifyWith(cp, keysById(jwks));
}

function verifyWith(cp: CheckpointJson, keys: Map<string | undefined, KeyObject[]>): VerifiedCheckpoint {
  const claimed = typeof cp.treeSize === 'number' ? cp.treeSize : undefined;
  const fail = (m: string): never => {
    throw new CheckpointError(claimed, `checkpoint ${claimed ?? '?'}: ${m}`);
  };
  if (typeof cp.jws !== 'string') fail('no jws');
  const parts = cp.jws.split('.');
  if (parts.length !== 3) fail('jws is not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown> = {};
  let payload: Record<string, unknown> = {};
  try {
    header = b64uJson(h, 'jws header');
    payload = b64uJson(p, 'jws payload');
  } catch (err) {
    fail((err as Error).message);
  }
  if (header['alg'] !== 'EdDSA') fail(`alg ${String(header['alg'])} is not EdDSA`);
  if (header['typ'] !== CHECKPOINT_TYP) fail(`typ ${String(header['typ'])} is not ${CHECKPOINT_TYP}`);
  if (header['crit'] !== undefined) fail('unsupported crit header');
  const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
  const candidates = (kid !== undefined ? keys.get(kid) : undefined) ?? [];
  if (candidates.length === 0) fail(`no Ed25519 key with kid ${kid ?? '(none)'} among the keys given`);
  if (!/^[A-Za-z0-9_-]+$/.test(s)) fail('signature is not base64url');
  const signed = Buffer.from(`${h}.${p}`, 'ascii');
  const sig = Buffer.from(s, 'base64url');
  if (!candidates.some((key) => verifySignature(null, signed, key, sig))) fail('signature does not verify');
  const { treeSize, rootHash, position, signedAt } = payload;
  if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 0) fail('payload treeSize is not a non-negative integer');
  if (typeof rootHash !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(rootHash)) fail('payload rootHash is not a base64url SHA-256');
  if (typeof position !== 'string' || typeof signedAt !== 'string') fail('payload position/signedAt missing');
  const root = Buffer.from(rootHash as string, 'base64url');
  if (root.length !== HASH_BYTES) fail('payload rootHash is not 32 bytes');
  return { treeSize: treeSize as number, rootHash: root, position: position as string, signedAt: signedAt as string, kid: kid! };
}

function describe(ordinal: number, e: LogEntry | undefined): BadPosition {
  if (!e) return { ordinal };
  return { ordinal, treeIndex: e.treeIndex, eventId: e.event.id, stream: e.event.stream, revision: String(e.event.revision), position: e.position };
}

/** Recomputes the tree from `log` (global order) and checks it against `opts.checkpoints`. */
export async function verifyLog(log: AsyncIterable<LogEntry> | Iterable<LogEntry>, opts: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const every = opts.progressEvery ?? 10_000;
  const lookahead = opts.lookahead ?? 10_000;
  let count = 0;
  const failure = (reason: FailureReason, message: string, at: BadPosition, extra: Partial<VerifyFailure> = {}): VerifyFailure => ({
    ok: false, reason, message, at, events: count, seconds: seconds(), ...extra,
  });

  // Every signature first: a checkpoint that does not verify is worth nothing.
  const keys = keysById(opts.jwks);
  const byTreeSize = new Map<number, VerifiedCheckpoint>();
  for (const cp of opts.checkpoints) {
    let v: VerifiedCheckpoint;
    try {
      v = verifyWith(cp, keys);
    } catch (err) {
      const size = err instanceof CheckpointError ? err.treeSize : undefined;
      return failure('bad_signature', (err as Error).message, { ordinal: size ?? 0 }, size !== undefined ? { checkpoint: size } : {});
    }
    const other = byTreeSize.get(v.treeSize);
    if (other && !other.rootHash.equals(v.rootHash)) {
      return failure('bad_signature', `two signed checkpoints of size ${v.treeSize} with different roots (the signer forked the log)`, { ordinal: v.treeSize }, { checkpoint: v.treeSize });
    }
    byTreeSize.set(v.treeSize, v);
  }
  const sizes = [...byTreeSize.keys()].sort((a, b) => a - b);
  const target = Math.max(sizes[sizes.length - 1] ?? 0, opts.expectedTreeSize ?? 0);
  if (sizes[0] === 0) {
    const zero = byTreeSize.get(0)!;
    if (!zero.rootHash.equals(new MerkleBuilder().root())) return failure('root_mismatch', 'checkpoint 0 does not name the empty root', { ordinal: 0 }, { checkpoint: 0, range: { from: 0, to: 0 } });
  }
  let nextCheckpoint = sizes.findIndex((s) => s > 0);
  if (nextCheckpoint < 0) nextCheckpoint = sizes.length;
  const checked: number[] = sizes.filter((s) => s === 0);

  const builder = new MerkleBuilder();
  let expected = 0;
  let lastGood = 0; // tree size of the last checkpoint that matched (0: the start)
  let rangeStart: BadPosition = { ordinal: 0, treeIndex: 0 };
  let firstUntreed: { ordinal: number; entry: LogEntry } | undefined;
  let tail = 0;
  // A tree index seen ahead of a missing one: a deletion, or a swap if the missing index shows up.
  let pending: { ordinal: number; entry: LogEntry; missing: number; deadline: number } | undefined;
  const seenAhead = new Set<number>();
  let lastReport = started;
  let lastCount = 0;

  for await (const entry of log) {
    const ordinal = count++;
    if (opts.onProgress && count % every === 0) {
      const now = performance.now();
      opts.onProgress({ count, eventsPerSecond: ((count - lastCount) * 1000) / Math.max(now - lastReport, 1e-3), target });
      lastReport = now;
      lastCount = count;
    }
    if (pending) {
      if (entry.treeIndex === pending.missing) {
        return failure('index_out_of_order', `tree index ${pending.missing} comes after ${pending.entry.treeIndex ?? '?'}: events out of order (swapped)`, describe(pending.ordinal, pending.entry));
      }
      if (ordinal >= pending.deadline) break;
      continue;
    }
    const idx = entry.treeIndex;
    if (idx === undefined) {
      firstUntreed ??= { ordinal, entry };
      tail++;
      continue;
    }
    if (firstUntreed) {
      return failure('unexpected_event', `event ${firstUntreed.entry.event.id} has no leaf in the tree but notarised events follow it (forged or inserted)`, describe(firstUntreed.ordinal, firstUntreed.entry));
    }
    if (!Number.isSafeInteger(idx) || idx < 0) return failure('bad_input', `tree index ${idx} is not a non-negative integer`, describe(ordinal, entry));
    if (idx < expected || seenAhead.has(idx)) {
      return failure('unexpected_event', `tree index ${idx} again (expected ${expected}): a duplicated or forged event`, describe(ordinal, entry));
    }
    if (idx > expected) {
      pending = { ordinal, entry, missing: expected, deadline: ordinal + lookahead };
      continue;
    }
    let leaf: Hash;
    try {
      leaf = entry.leaf ?? eventLeafHash(entry.event);
    } catch (err) {
      return failure('bad_input', `event has no canonical form: ${(err as Error).message}`, describe(ordinal, entry));
    }
    if (entry.recordedLeaf && !entry.recordedLeaf.equals(leaf)) {
      return failure('data_differs', `event ${entry.event.id} no longer hashes to the leaf the notary recorded at tree index ${idx} (edited)`, describe(ordinal, entry));
    }
    if (expected === lastGood) rangeStart = describe(ordinal, entry);
    builder.addLeaf(leaf);
    expected++;
    if (sizes[nextCheckpoint] === expected) {
      const cp = byTreeSize.get(expected)!;
      if (!builder.root().equals(cp.rootHash)) {
        return failure(
          'root_mismatch',
          `the root of the first ${expected} leaves differs from signed checkpoint ${expected}: a leaf in [${lastGood}, ${expected}) was rewritten`,
          rangeStart,
          { checkpoint: expected, range: { from: lastGood, to: expected } },
        );
      }
      checked.push(expected);
      lastGood = expected;
      nextCheckpoint++;
    }
  }
  if (pending) {
    return failure('index_gap', `tree index ${pending.missing} is missing (the next event has ${pending.entry.treeIndex ?? '?'}): an event was deleted`, { ...describe(pending.ordinal, pending.entry), treeIndex: pending.missing });
  }
  const beyond = sizes[nextCheckpoint];
  if (beyond !== undefined) {
    return failure('log_ends_early', `the log ends after ${expected} notarised events, before signed checkpoint ${beyond} (events deleted at the end)`, { ordinal: count - tail, treeIndex: expected }, { checkpoint: beyond });
  }
  if (opts.expectedTreeSize !== undefined && expected < opts.expectedTreeSize) {
    return failure('log_ends_early', `the log ends after ${expected} notarised events, the notary has ${opts.expectedTreeSize} leaves (events deleted at the end)`, { ordinal: count - tail, treeIndex: expected });
  }
  return { ok: true, events: count, treeSize: expected, tail, checkpointsChecked: checked, root: builder.root(), seconds: seconds() };
}
