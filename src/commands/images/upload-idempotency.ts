// Idempotent uploads without another store: the image id of an upload sent with an
// Idempotency-Key is derived from (owner, key) — a name-based UUID (RFC 9562 version 5: SHA-1 of
// a namespace and the name) — so a retry lands on the same `image-<id>` stream. ImageUploaded is
// appended with expected revision "no stream"; whoever comes second finds the stream and answers
// from its first event (same image id, same position). The same key with other bytes is refused
// (the sha256 the event records differs).

import { createHash } from 'node:crypto';

/** The namespace of upload ids (a random UUID fixed once; changing it would break retries in flight). */
const UPLOAD_NAMESPACE = Buffer.from('6f1c2b9e4d7a4c3f8e5b0a9d2c7e1f43', 'hex');

/** The image id an upload of `ownerId` with Idempotency-Key `key` gets. */
export function uploadIdFor(ownerId: string, key: string): string {
  const hash = createHash('sha1').update(UPLOAD_NAMESPACE).update(`${ownerId}\n${key}`, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A key already used by this user for an upload of other bytes. */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'idempotency_key_reused';
  constructor(readonly imageId: string) {
    super('this Idempotency-Key was already used for an upload of different bytes');
    this.name = 'IdempotencyKeyReusedError';
  }
}
