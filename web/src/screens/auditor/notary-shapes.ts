// What the notary's routes answer (src/http/routes/audit/proofs.ts): checkpoints, inclusion and
// consistency proofs, hashes base64url. Kept apart from the fetching (audit-api.ts) so the pure
// checks (checkpoint-signature.ts, verify-proofs.ts) import nothing of the browser's API client.

export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  position: string;
  signedAt: string;
  kid: string;
  jws: string;
}

export interface InclusionProof {
  eventId: string;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  canonical: string;
  position: string;
  checkpoint: Checkpoint;
}

export interface ConsistencyProof {
  from: Checkpoint;
  to: Checkpoint;
  proof: string[];
}
