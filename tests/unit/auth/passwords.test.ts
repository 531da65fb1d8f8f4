import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_OPTIONS,
  DUMMY_PASSWORD_HASH,
  PASSWORD_POLICY,
  checkPasswordPolicy,
  hashPassword,
  verifyAgainstDummy,
  verifyPassword,
} from '../../../src/auth/passwords.js';

describe('password hashing', () => {
  it('hashes with argon2id and the OWASP parameters, and verifies the same password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same password 1'), hashPassword('same password 1')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword(b, 'same password 1')).toBe(true);
  });

  it('returns false for a wrong password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(hash, 'correct horse battery stapl')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('returns false, without throwing, for malformed hashes', async () => {
    for (const bad of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$', '$2b$10$abcdefghijklmnopqrstuv', DUMMY_PASSWORD_HASH.slice(0, -5)]) {
      await expect(verifyPassword(bad, 'whatever password')).resolves.toBe(false);
    }
  });

  it('treats canonically equivalent Unicode input as the same password (NFKC)', async () => {
    const hash = await hashPassword('caf\u00e9 au lait!!'); // precomposed é
    expect(await verifyPassword(hash, 'cafe\u0301 au lait!!')).toBe(true); // e + combining acute
  });

  it('the dummy hash uses the same parameters as real hashes, and verifyAgainstDummy is false', async () => {
    const dummy = parseOptions(DUMMY_PASSWORD_HASH);
    expect(dummy).toMatchObject({
      algorithm: ARGON2_OPTIONS.algorithm,
      memoryCost: ARGON2_OPTIONS.memoryCost,
      timeCost: ARGON2_OPTIONS.timeCost,
      parallelism: ARGON2_OPTIONS.parallelism,
    });
    expect(await verifyAgainstDummy('any password at all')).toBe(false);
    expect(await verifyAgainstDummy('')).toBe(false);
  });
});

describe('password policy', () => {
  it('accepts passwords within the limits', () => {
    expect(PASSWORD_POLICY).toEqual({ minLength: 10, maxLength: 256 });
    expect(checkPasswordPolicy('a'.repeat(10))).toBeUndefined();
    expect(checkPasswordPolicy('x'.repeat(256))).toBeUndefined();
    expect(checkPasswordPolicy('  spaces around  ')).toBeUndefined();
  });

  it('rejects too short and too long passwords with a message naming the limit', () => {
    expect(checkPasswordPolicy('a'.repeat(9))).toBe('Password must be at least 10 characters long.');
    expect(checkPasswordPolicy('')).toBe('Password must be at least 10 characters long.');
    expect(checkPasswordPolicy('x'.repeat(257))).toBe('Password must be at most 256 characters long.');
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    const emoji = '\u{1F600}'; // two UTF-16 units, one code point
    expect(checkPasswordPolicy(emoji.repeat(9))).toMatch(/at least 10/); // 18 units but 9 code points
    expect(checkPasswordPolicy(emoji.repeat(10))).toBeUndefined();
    expect(checkPasswordPolicy(emoji.repeat(200))).toBeUndefined(); // 400 units, 200 code points
    expect(checkPasswordPolicy(emoji.repeat(257))).toMatch(/at most 256/);
  });

  it('rejects passwords made only of whitespace', () => {
    expect(checkPasswordPolicy(' '.repeat(12))).toBe('Password must not consist only of whitespace.');
    expect(checkPasswordPolicy('\t\n \u00a0\u2003'.repeat(3))).toBe('Password must not consist only of whitespace.');
  });
});
