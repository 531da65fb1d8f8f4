// AES-256-GCM seals (src/privacy/aead.ts): IVs are drawn from the CSPRNG in blocks, so these check
// that every seal still gets its own IV across block refills, and that a seal opens only with its
// key and additional data.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from '../../../src/privacy/aead.js';

describe('aead', () => {
  it('gives every seal its own 96-bit IV, across refills of the IV block', () => {
    const key = randomBytes(32);
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const { iv } = seal(key, Buffer.from('x'), 'aad');
      expect(iv).toHaveLength(12);
      seen.add(iv.toString('hex'));
    }
    expect(seen.size).toBe(5_000);
  });

  it('opens with the same key and additional data only', () => {
    const key = randomBytes(32);
    const sealed = seal(key, Buffer.from('face data'), 'image-1/e1/faces');
    expect(open(key, sealed, 'image-1/e1/faces')?.toString()).toBe('face data');
    expect(open(key, sealed, 'image-2/e1/faces')).toBeUndefined();
    expect(open(randomBytes(32), sealed, 'image-1/e1/faces')).toBeUndefined();
    const flipped = Buffer.from(sealed.ct);
    flipped[0]! ^= 1;
    expect(open(key, { iv: sealed.iv, ct: flipped }, 'image-1/e1/faces')).toBeUndefined();
  });
});
