// Sealed copies: personal data a read model keeps beside the log (the face index's descriptors),
// sealed under the same data key as the event it was read from, so shredding that key ends the
// copy too — in the live table, in its dead row versions and in every backup of it.
//
// The nonce is synthetic (SIV-style): HMAC of the value and its additional data under a subkey of
// the data key. The same value under the same key and additional data seals to the same bytes, so
// a rebuilt read model equals the live one (projections:verify compares rows); two different
// values never share a nonce. It reveals only that two copies hold the same value.

import { createHmac } from 'node:crypto';
import type { KeySelector } from './declarations.js';
import { open, sealWithIv } from './aead.js';
import { NoLiveKeyError, SealIntegrityError } from './errors.js';
import type { KeyStore } from './key-store.js';

const IV_BYTES = 12;

function syntheticIv(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const subkey = createHmac('sha256', key).update('facetrail/sealed-copy-iv/v1').digest();
  return createHmac('sha256', subkey).update(aad, 'utf8').update(Buffer.of(0)).update(plaintext).digest().subarray(0, IV_BYTES);
}

/** `items` sealed under the live key of `selector` (iv ‖ ciphertext ‖ tag each), or undefined when the scope has none (erased). */
export async function sealCopies(keys: KeyStore, selector: KeySelector, items: readonly { aad: string; plaintext: Buffer }[]): Promise<{ kid: string; sealed: Buffer[] } | undefined> {
  let live: { kid: string; key: Buffer };
  try {
    live = await keys.liveKey(selector);
  } catch (err) {
    if (err instanceof NoLiveKeyError) return undefined;
    throw err;
  }
  const sealed = items.map(({ aad, plaintext }) => {
    const iv = syntheticIv(live.key, aad, plaintext);
    const { ct } = sealWithIv(live.key, iv, plaintext, aad);
    return Buffer.concat([iv, ct]);
  });
  return { kid: live.kid, sealed };
}

/** The plaintext of each copy; null once its key is shredded. SealIntegrityError for a copy that does not authenticate. */
export async function openCopies(keys: KeyStore, items: readonly { kid: string; sealed: Buffer; aad: string }[]): Promise<(Buffer | null)[]> {
  const found = items.length > 0 ? await keys.keys(items.map((i) => i.kid)) : new Map<string, Buffer | null>();
  return items.map(({ kid, sealed, aad }) => {
    const key = found.get(kid) ?? null;
    if (key === null) return null;
    const plain = open(key, { iv: sealed.subarray(0, IV_BYTES), ct: sealed.subarray(IV_BYTES) }, aad);
    if (!plain) throw new SealIntegrityError(aad);
    return plain;
  });
}
