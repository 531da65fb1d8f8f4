// Signed checkpoints (signed tree heads): a compact JWS, alg EdDSA, header
// {alg, kid, typ: 'facetrail-checkpoint+jws'}, over the JSON payload
// {treeSize, rootHash (base64url), position (cursor of the last leaf's event), signedAt (ISO)},
// signed with the service's Ed25519 key (its public key is in /.well-known/jwks.json). A verifier
// trusts only the payload, after checking the signature; `Checkpoint` (the JSON form of the API and
// of a cp.json file) repeats the payload's fields beside the JWS for convenience.

import { CompactSign, type CryptoKey } from 'jose';

export const CHECKPOINT_TYP = 'facetrail-checkpoint+jws';

export interface CheckpointPayload {
  treeSize: number;
  /** base64url of the 32-byte RFC 6962 root hash of the first `treeSize` leaves. */
  rootHash: string;
  /** Position cursor of the event of the last leaf (leaf treeSize - 1). */
  position: string;
  signedAt: string;
}

/** The JSON form everywhere (API, cp.json, export trailer). */
export interface Checkpoint extends CheckpointPayload {
  kid: string;
  jws: string;
}

export interface CheckpointSigner {
  readonly kid: string;
  /** The compact JWS of the payload. */
  sign(payload: CheckpointPayload): Promise<string>;
}

/** A signer over the service's Ed25519 key (src/auth/keys.ts loads it; the runtime passes it in). */
export function ed25519CheckpointSigner(key: { privateKey: CryptoKey; kid: string }): CheckpointSigner {
  return {
    kid: key.kid,
    sign(payload) {
      // Field order fixed, so the same checkpoint always signs the same bytes.
      const body = { treeSize: payload.treeSize, rootHash: payload.rootHash, position: payload.position, signedAt: payload.signedAt };
      return new CompactSign(Buffer.from(JSON.stringify(body), 'utf8')).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: CHECKPOINT_TYP }).sign(key.privateKey);
    },
  };
}
