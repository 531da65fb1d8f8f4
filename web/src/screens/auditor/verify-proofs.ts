// The checks the Verification screen runs on what the API answered, each named so the screen can
// say which one failed: the checkpoints' signatures, the leaf recomputed from the canonical event,
// and the Merkle paths folded to the signed roots (./merkle.ts). Nothing here trusts a hash the
// server computed.

import type { Checkpoint, ConsistencyProof, InclusionProof } from './notary-shapes.js';
import { checkSignature } from './checkpoint-signature.js';
import { fromBase64url, leafHash, type Hash, toBase64url, verifyConsistency, verifyInclusion } from './merkle.js';

export interface Check {
  label: string;
  ok: boolean;
  detail?: string;
}

async function signatureCheck(cp: Checkpoint): Promise<{ check: Check; root?: Hash; size?: number }> {
  const sig = await checkSignature(cp);
  const label = `Signature of checkpoint ${cp.treeSize} (key ${cp.kid})`;
  if (!sig.ok) return { check: { label, ok: false, detail: sig.reason } };
  return { check: { label, ok: true }, root: fromBase64url(sig.payload.rootHash), size: sig.payload.treeSize };
}

/** What the canonical event says it is (its RFC 8785 JSON). */
export function canonicalSummary(canonical: string): { id?: string; type?: string; stream?: string; revision?: unknown } {
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64url(canonical))) as { id?: string; type?: string; stream?: string };
  } catch {
    return {};
  }
}

export async function checkInclusion(eventId: string, p: InclusionProof): Promise<Check[]> {
  const sig = await signatureCheck(p.checkpoint);
  const canonical = fromBase64url(p.canonical);
  const leaf = await leafHash(canonical);
  const summary = canonicalSummary(p.canonical);
  const checks: Check[] = [
    sig.check,
    { label: 'The canonical event is the event asked for', ok: summary.id === eventId, detail: summary.id === eventId ? undefined : `it is ${summary.id ?? 'unreadable'}` },
    { label: 'Leaf hash SHA-256(0x00 ‖ canonical event), computed here', ok: toBase64url(leaf) === p.leafHash, detail: toBase64url(leaf) === p.leafHash ? undefined : `computed ${toBase64url(leaf)}, the proof says ${p.leafHash}` },
  ];
  const onPath = sig.root !== undefined && sig.size !== undefined && (await verifyInclusion(leaf, p.leafIndex, sig.size, p.auditPath.map(fromBase64url), sig.root));
  checks.push({
    label: `Audit path (${p.auditPath.length} hashes) from leaf ${p.leafIndex} to the signed root of ${sig.size ?? p.treeSize} leaves`,
    ok: onPath,
    detail: onPath ? undefined : sig.root ? 'the path does not lead to the signed root' : 'no signed root to compare with',
  });
  return checks;
}

export async function checkConsistency(p: ConsistencyProof): Promise<Check[]> {
  const [from, to] = [await signatureCheck(p.from), await signatureCheck(p.to)];
  const ok = from.root !== undefined && to.root !== undefined && (await verifyConsistency(from.size!, to.size!, from.root, to.root, p.proof.map(fromBase64url)));
  return [
    from.check,
    to.check,
    { label: `Consistency proof (${p.proof.length} hashes): the tree of ${p.to.treeSize} leaves extends the tree of ${p.from.treeSize}`, ok, detail: ok ? undefined : 'the proof does not connect the two signed roots' },
  ];
}
