import { describe, expect, it } from 'vitest';
import { parseBearer } from '../../../src/auth/bearer.js';
import { AuthError } from '../../../src/auth/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).code;
  }
  return undefined;
}

describe('parseBearer', () => {
  it('returns the token; the scheme is case-insensitive', () => {
    expect(parseBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(parseBearer('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(parseBearer('BEARER a-b_c~d+e/f==')).toBe('a-b_c~d+e/f==');
  });

  it('missing_token when the header is absent or empty', () => {
    expect(codeOf(() => parseBearer(undefined))).toBe('missing_token');
    expect(codeOf(() => parseBearer(''))).toBe('missing_token');
  });

  it('malformed_authorization for anything but "Bearer <one token>"', () => {
    for (const header of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearerabc', 'Bearer a b', 'Bearer a,b', 'Token abc', ' Bearer abc', 'Bearer abc ', 'Bearer\tabc', 'Bearer a=b']) {
      expect(codeOf(() => parseBearer(header)), header).toBe('malformed_authorization');
    }
  });

  it('AuthError carries status 401', () => {
    try {
      parseBearer(undefined);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ name: 'AuthError', status: 401, code: 'missing_token' });
    }
  });
});
