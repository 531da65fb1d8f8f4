// A checkpoint's signature, checked in the browser: its compact JWS (EdDSA, typ
// facetrail-checkpoint+jws) against the service keys at /.well-known/jwks.json with
// crypto.subtle's Ed25519. Only the signed payload is trusted; the checkpoint's other members
// must repeat it.

import type { Checkpoint } from './notary-shapes.js';
import { fromBase64url } from './merkle.js';

export const CHECKPOINT_TYP = 'facetrail-checkpoint+jws';

export interface SignedPayload {
  treeSize: number;
  rootHash: string;
  position: string;
  signedAt: string;
}

export type SignatureCheck = { ok: true; payload: SignedPayload } | { ok: false; reason: string };

interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  kid?: string;
}

let jwks: Promise<Jwk[]> | undefined;

function serviceKeys(): Promise<Jwk[]> {
  jwks ??= fetch('/.well-known/jwks.json').then(async (r) => {
    if (!r.ok) throw new Error(`jwks.json: HTTP ${r.status}`);
    return ((await r.json()) as { keys: Jwk[] }).keys;
  });
  jwks.catch(() => (jwks = undefined));
  return jwks;
}

const decodeJson = (part: string): unknown => JSON.parse(new TextDecoder().decode(fromBase64url(part)));

export async function checkSignature(cp: Checkpoint): Promise<SignatureCheck> {
  const [h = '', p = '', s = ''] = cp.jws.split('.');
  let header: { alg?: string; kid?: string; typ?: string };
  let payload: SignedPayload;
  try {
    header = decodeJson(h) as typeof header;
    payload = decodeJson(p) as SignedPayload;
  } catch {
    return { ok: false, reason: 'the JWS is malformed' };
  }
  if (header.alg !== 'EdDSA' || header.typ !== CHECKPOINT_TYP) return { ok: false, reason: `unexpected JWS header (alg ${header.alg}, typ ${header.typ})` };
  const jwk = (await serviceKeys()).find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!jwk?.x) return { ok: false, reason: `no service key ${header.kid} in /.well-known/jwks.json` };
  let valid: boolean;
  try {
    const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, fromBase64url(s), new TextEncoder().encode(`${h}.${p}`));
  } catch (err) {
    return { ok: false, reason: `this browser cannot check Ed25519 signatures (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!valid) return { ok: false, reason: 'the signature does not verify' };
  if (payload.treeSize !== cp.treeSize || payload.rootHash !== cp.rootHash || payload.position !== cp.position || payload.signedAt !== cp.signedAt) {
    return { ok: false, reason: 'the checkpoint does not repeat its signed payload' };
  }
  return { ok: true, payload };
}
