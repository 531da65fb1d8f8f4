// AES-256-GCM for one value: a fresh 96-bit IV per seal, the 128-bit tag appended to the
// ciphertext, additional data binding the value to where it belongs.

import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface Sealed {
  iv: Buffer;
  /** Ciphertext followed by the tag. */
  ct: Buffer;
}

// IVs come from the CSPRNG in blocks: one randomFillSync call per IV_POOL_IVS seals instead of one
// per seal (it was 8 % of the API's CPU under the access log's load); each IV is still 96 fresh
// random bits, used once, copied out so no two seals share a buffer.
const IV_POOL_IVS = 1024;
const ivPool = Buffer.allocUnsafe(IV_BYTES * IV_POOL_IVS);
let ivNext = IV_POOL_IVS;

function freshIv(): Buffer {
  if (ivNext === IV_POOL_IVS) {
    randomFillSync(ivPool);
    ivNext = 0;
  }
  const iv = Buffer.allocUnsafe(IV_BYTES);
  ivPool.copy(iv, 0, ivNext * IV_BYTES, (ivNext + 1) * IV_BYTES);
  // Wiped once taken, so the same bytes can never be handed out twice.
  ivPool.fill(0, ivNext * IV_BYTES, (ivNext + 1) * IV_BYTES);
  ivNext++;
  return iv;
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  return sealWithIv(key, freshIv(), plaintext, aad);
}

/** Seals under a nonce the caller guarantees is never used twice with this key for another value (sealed-copies.ts). */
export function sealWithIv(key: Buffer, iv: Buffer, plaintext: Buffer, aad: string): Sealed {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, ct };
}

/** The plaintext, or undefined when the value does not authenticate under `key` and `aad`. */
export function open(key: Buffer, sealed: Sealed, aad: string): Buffer | undefined {
  if (sealed.iv.length !== IV_BYTES || sealed.ct.length < TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.ct.subarray(sealed.ct.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.ct.subarray(0, sealed.ct.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
