import { hash, verify } from '@node-rs/argon2';
import type { Algorithm, Options } from '@node-rs/argon2';
import { isStorableText } from '../domain/text/storable-text.js';

// `Algorithm` is an ambient const enum: it cannot be read under isolatedModules and is an empty
// object at run time, so `Algorithm.Argon2id` would silently be `undefined`. 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

/** OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1. */
export const ARGON2_OPTIONS: Readonly<Options> = Object.freeze({
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/**
 * Hash of a random secret with the same parameters as ARGON2_OPTIONS, so that verifying against it
 * costs the same as verifying against a real user's hash.
 */
export const DUMMY_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$uMjKt3Btn974SrX5D7GMqw$ljT/AgCYpFwA/gTpJr9ndn8clNrYry5qkN9Y64UBv8A';

export const PASSWORD_POLICY = Object.freeze({ minLength: 10, maxLength: 256 });

/** Passwords are NFKC-normalised before hashing and checking, so equivalent input verifies the same. */
function normalize(plain: string): string {
  return plain.normalize('NFKC');
}

export async function hashPassword(plain: string): Promise<string> {
  return hash(normalize(plain), ARGON2_OPTIONS);
}

/** True only when `plain` matches `hash`; false (never a throw) for a malformed or foreign hash. */
export async function verifyPassword(hashed: string, plain: string): Promise<boolean> {
  try {
    return await verify(hashed, normalize(plain));
  } catch {
    return false;
  }
}

/** Spends the time of one verification and returns false: use when the account does not exist. */
export async function verifyAgainstDummy(plain: string): Promise<false> {
  await verifyPassword(DUMMY_PASSWORD_HASH, plain);
  return false;
}

/** A human-readable reason when `plain` violates PASSWORD_POLICY, otherwise undefined. */
export function checkPasswordPolicy(plain: string): string | undefined {
  const normalized = normalize(plain);
  const length = [...normalized].length; // Unicode code points, not UTF-16 units
  if (length < PASSWORD_POLICY.minLength) {
    return `Password must be at least ${PASSWORD_POLICY.minLength} characters long.`;
  }
  if (length > PASSWORD_POLICY.maxLength) {
    return `Password must be at most ${PASSWORD_POLICY.maxLength} characters long.`;
  }
  if (/^\s*$/u.test(normalized)) {
    return 'Password must not consist only of whitespace.';
  }
  return undefined;
}

/**
 * Why `plain` cannot be a password at all, or undefined: a lone UTF-16 surrogate is not a
 * character (UTF-8, and so argon2, would see U+FFFD: every such password would hash alike) and NUL
 * ends the string for much software. Checked before the policy; refused as `invalid_password`.
 */
export function passwordTextProblem(plain: string): string | undefined {
  if (typeof plain !== 'string' || !isStorableText(plain)) return 'Password must not contain a NUL character or a lone UTF-16 surrogate.';
  return undefined;
}
