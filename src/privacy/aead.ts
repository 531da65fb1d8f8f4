// AES-256-GCM for one value: a fresh 96-bit IV per seal, the 128-bit tag appended to the
// ciphertext, additional data binding the value to where it belongs.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface Sealed {
  iv: Buffer;
  /** Ciphertext followed by the tag. */
  ct: Buffer;
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
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
