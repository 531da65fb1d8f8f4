import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../../src/auth/errors.js';
import { loadSigningKeys } from '../../../src/auth/keys.js';
import type { LoadedKeys } from '../../../src/auth/keys.js';
import { ROLES } from '../../../src/auth/roles.js';
import { MAX_TOKEN_LENGTH, TokenService } from '../../../src/auth/tokens.js';

const ISSUER = 'https://facetrail.test';
const AUDIENCE = 'facetrail-api';

async function keysFromNewPem(): Promise<LoadedKeys> {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return loadSigningKeys({ privateKeyPem: pem, devKeyFile: '/nonexistent/unused.json', allowDevKey: false });
}

let keys: LoadedKeys;
let otherKeys: LoadedKeys;
let tokens: TokenService;
beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([keysFromNewPem(), keysFromNewPem()]);
  tokens = new TokenService(keys, { issuer: ISSUER, audience: AUDIENCE });
});

const ACCESS = { userId: 'user-1', role: 'auditor', sessionId: 'session-1' } as const;
const REFRESH = { userId: 'user-1', sessionId: 'session-1', tokenId: 'refresh-token-id-1' } as const;

/** The AuthError code a promise rejects with; fails the test if it resolves or rejects otherwise. */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(AuthError);
  const authError = error as AuthError;
  // Fixed messages only: nothing from jose leaks out.
  expect(['Token is invalid', 'Token has expired']).toContain(authError.message);
  return authError.code;
}

function segments(token: string): [string, string, string] {
  const [h, p, s] = token.split('.');
  if (h === undefined || p === undefined || s === undefined) throw new Error('not a JWS');
  return [h, p, s];
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

function decodeJson(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;
}

function accessClaims(now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', jti: 'jti-1', iat: now, exp: now + 300, role: 'admin', sid: 'session-1', typ: 'access' };
}

describe('TokenService: round trip', () => {
  it('issues an access token with the documented header and claims, and verifies it', async () => {
    const now = new Date();
    const issued = await tokens.issueAccessToken(ACCESS, now);
    expect(issued.expiresIn).toBe(300);
    expect(issued.expiresAt.getTime()).toBe((Math.floor(now.getTime() / 1000) + 300) * 1000);

    const [h, p] = segments(issued.token);
    expect(decodeJson(h)).toEqual({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' });
    const claims = decodeJson(p);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', jti: issued.jti, role: 'auditor', sid: 'session-1', typ: 'access' });
    expect(claims.exp).toBe((claims.iat as number) + 300);
    expect(issued.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    await expect(tokens.verifyAccessToken(issued.token)).resolves.toEqual({
      userId: 'user-1',
      role: 'auditor',
      sessionId: 'session-1',
      jti: issued.jti,
      expiresAt: issued.expiresAt,
    });
  });

  it('gives every access token a fresh jti', async () => {
    const [a, b] = await Promise.all([tokens.issueAccessToken(ACCESS), tokens.issueAccessToken(ACCESS)]);
    expect(a.jti).not.toBe(b.jti);
  });

  it('issues a refresh token (1 day) and verifies it', async () => {
    const issued = await tokens.issueRefreshToken(REFRESH);
    expect(issued.expiresIn).toBe(86_400);
    const claims = decodeJson(segments(issued.token)[1]);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', sid: 'session-1', jti: 'refresh-token-id-1', typ: 'refresh' });
    expect(claims.exp).toBe((claims.iat as number) + 86_400);
    expect(claims).not.toHaveProperty('role');
    await expect(tokens.verifyRefreshToken(issued.token)).resolves.toEqual({
      userId: 'user-1',
      sessionId: 'session-1',
      tokenId: 'refresh-token-id-1',
      expiresAt: issued.expiresAt,
    });
  });

  it('round-trips every role and refuses to issue an unknown one', async () => {
    for (const role of ROLES) {
      const { token } = await tokens.issueAccessToken({ ...ACCESS, role });
      expect((await tokens.verifyAccessToken(token)).role).toBe(role);
    }
    // @ts-expect-error: not a Role
    await expect(tokens.issueAccessToken({ ...ACCESS, role: 'root' })).rejects.toThrow(/unknown role/);
  });

  it('validates its options', () => {
    expect(() => new TokenService(keys, { issuer: '', audience: AUDIENCE })).toThrow(/issuer/);
    expect(() => new TokenService(keys, { issuer: ISSUER, audience: AUDIENCE, accessTtlSeconds: 0 })).toThrow(/accessTtlSeconds/);
    expect(() => new TokenService(keys, { issuer: ISSUER, audience: AUDIENCE, refreshTtlSeconds: 1.5 })).toThrow(/refreshTtlSeconds/);
  });
});

describe('TokenService: rejections', () => {
  it('alg "none" (unsigned) → token_invalid', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${encodeJson({ alg, typ: 'at+jwt' })}.${encodeJson(accessClaims())}.`;
      expect(await rejectionCode(tokens.verifyAccessToken(token))).toBe('token_invalid');
    }
  });

  it('HS256 signed with the public key as HMAC secret (key confusion) → token_invalid', async () => {
    const spki = createPublicKey({ key: { ...keys.publicJwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const secrets = [spki, JSON.stringify(keys.publicJwk), Buffer.from(base64url.decode(keys.publicJwk.x ?? ''))];
    for (const secret of secrets) {
      const signingInput = `${encodeJson({ alg: 'HS256', typ: 'at+jwt', kid: keys.kid })}.${encodeJson(accessClaims())}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect(await rejectionCode(tokens.verifyAccessToken(`${signingInput}.${signature}`))).toBe('token_invalid');
    }
  });

  it('wrong issuer → token_invalid', async () => {
    const foreign = new TokenService(keys, { issuer: 'https://evil.test', audience: AUDIENCE });
    const { token } = await foreign.issueAccessToken(ACCESS);
    expect(await rejectionCode(tokens.verifyAccessToken(token))).toBe('token_invalid');
    const refresh = await foreign.issueRefreshToken(REFRESH);
    expect(await rejectionCode(tokens.verifyRefreshToken(refresh.token))).toBe('token_invalid');
  });

  it('wrong audience → token_invalid', async () => {
    const foreign = new TokenService(keys, { issuer: ISSUER, audience: 'another-api' });
    const { token } = await foreign.issueAccessToken(ACCESS);
    expect(await rejectionCode(tokens.verifyAccessToken(token))).toBe('token_invalid');
  });

  it('expired → token_expired (clock moved forward, no sleeping); within the 5 s tolerance → accepted', async () => {
    const short = new TokenService(keys, { issuer: ISSUER, audience: AUDIENCE, accessTtlSeconds: 1, refreshTtlSeconds: 1 });
    const issuedAt = new Date();
    const { token } = await short.issueAccessToken(ACCESS, issuedAt);
    const later = (seconds: number): Date => new Date(issuedAt.getTime() + seconds * 1000);

    await expect(tokens.verifyAccessToken(token, later(3))).resolves.toMatchObject({ userId: 'user-1' });
    expect(await rejectionCode(tokens.verifyAccessToken(token, later(60)))).toBe('token_expired');

    const refresh = await short.issueRefreshToken(REFRESH, issuedAt);
    expect(await rejectionCode(tokens.verifyRefreshToken(refresh.token, later(60)))).toBe('token_expired');
    // Default TTLs: the access token is dead after 5 min (+ tolerance), the refresh token after a day.
    const normal = await tokens.issueAccessToken(ACCESS, issuedAt);
    expect(await rejectionCode(tokens.verifyAccessToken(normal.token, later(306)))).toBe('token_expired');
    const day = await tokens.issueRefreshToken(REFRESH, issuedAt);
    await expect(tokens.verifyRefreshToken(day.token, later(86_000))).resolves.toMatchObject({ tokenId: REFRESH.tokenId });
    expect(await rejectionCode(tokens.verifyRefreshToken(day.token, later(86_406)))).toBe('token_expired');
  });

  it('an expired token with a bad signature is token_invalid, not token_expired', async () => {
    const { token } = await tokens.issueAccessToken(ACCESS, new Date(Date.now() - 3_600_000));
    const [h, p, s] = segments(token);
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(await rejectionCode(tokens.verifyAccessToken(`${h}.${p}.${flipped}`))).toBe('token_invalid');
  });

  it('tampered payload (role raised to admin) → token_invalid', async () => {
    const { token } = await tokens.issueAccessToken({ ...ACCESS, role: 'user' });
    const [h, p, s] = segments(token);
    const forged = encodeJson({ ...decodeJson(p), role: 'admin' });
    expect(forged).not.toBe(p);
    expect(await rejectionCode(tokens.verifyAccessToken(`${h}.${forged}.${s}`))).toBe('token_invalid');
  });

  it('signature from another key (same kid claimed) → token_invalid', async () => {
    const impostor = new TokenService({ ...otherKeys, kid: keys.kid }, { issuer: ISSUER, audience: AUDIENCE });
    const { token } = await impostor.issueAccessToken(ACCESS);
    expect(await rejectionCode(tokens.verifyAccessToken(token))).toBe('token_invalid');
    const refresh = await impostor.issueRefreshToken(REFRESH);
    expect(await rejectionCode(tokens.verifyRefreshToken(refresh.token))).toBe('token_invalid');
  });

  it('access token presented as refresh token, and vice versa → token_invalid', async () => {
    const access = await tokens.issueAccessToken(ACCESS);
    const refresh = await tokens.issueRefreshToken(REFRESH);
    expect(await rejectionCode(tokens.verifyRefreshToken(access.token))).toBe('token_invalid');
    expect(await rejectionCode(tokens.verifyAccessToken(refresh.token))).toBe('token_invalid');
  });

  it('validly signed tokens whose typ claim, role or claims are wrong → token_invalid', async () => {
    const sign = (claims: Record<string, unknown>, typ: string): Promise<string> =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ }).sign(keys.privateKey);
    const good = await sign(accessClaims(), 'at+jwt');
    await expect(tokens.verifyAccessToken(good)).resolves.toMatchObject({ role: 'admin' }); // the helper itself is sound

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...accessClaims(), typ: 'refresh' }, 'at+jwt'], // header says access, claim says refresh
      [{ ...accessClaims(), role: 'root' }, 'at+jwt'],
      [{ ...accessClaims(), sid: undefined }, 'at+jwt'],
      [{ ...accessClaims(), sub: '' }, 'at+jwt'],
      [{ ...accessClaims(), sub: 42 }, 'at+jwt'],
      [accessClaims(), 'JWT'], // header typ wrong
    ];
    for (const [claims, typ] of cases) {
      expect(await rejectionCode(tokens.verifyAccessToken(await sign(claims, typ)))).toBe('token_invalid');
    }
    const refreshAsAccessHeader = await sign({ ...accessClaims(), typ: 'refresh', role: undefined }, 'at+jwt');
    expect(await rejectionCode(tokens.verifyRefreshToken(refreshAsAccessHeader))).toBe('token_invalid');
  });

  it(`oversized tokens (> ${MAX_TOKEN_LENGTH} chars) → token_invalid, even when validly signed`, async () => {
    const big = await new SignJWT({ ...accessClaims(), padding: 'x'.repeat(MAX_TOKEN_LENGTH) })
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'at+jwt' })
      .sign(keys.privateKey);
    expect(big.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(await rejectionCode(tokens.verifyAccessToken(big))).toBe('token_invalid');
    expect(await rejectionCode(tokens.verifyRefreshToken('a'.repeat(MAX_TOKEN_LENGTH + 1)))).toBe('token_invalid');
  });

  it('malformed input → token_invalid', async () => {
    for (const junk of ['', 'abc', 'a.b.c', 'a.b', '...', `${encodeJson({ alg: 'EdDSA' })}.%%%.abc`]) {
      expect(await rejectionCode(tokens.verifyAccessToken(junk)), junk).toBe('token_invalid');
    }
  });
});

describe('TokenService: JWKS', () => {
  it('publishes the public key only, with kid/alg/use', () => {
    const jwks = tokens.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: keys.publicJwk.x, kid: keys.kid, alg: 'EdDSA', use: 'sig' });
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('strips private members even if the caller passed a private JWK', () => {
    const leaky = new TokenService({ ...keys, publicJwk: { ...keys.publicJwk, d: 'secret-part' } }, { issuer: ISSUER, audience: AUDIENCE });
    expect(leaky.jwks().keys[0]).not.toHaveProperty('d');
    expect(JSON.stringify(leaky.jwks())).not.toContain('secret-part');
  });

  it('returns a copy: mutating it does not change what is served', () => {
    const first = tokens.jwks();
    const key = first.keys[0];
    if (key === undefined) throw new Error('no key');
    key.x = 'changed';
    expect(tokens.jwks().keys[0]?.x).toBe(keys.publicJwk.x);
  });
});

describe('remembered verifications', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a remembered token still expires: served until exp + tolerance, then token_expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-01-01T00:00:00Z');
    vi.setSystemTime(start);
    const fresh = new TokenService(keys, { issuer: ISSUER, audience: AUDIENCE, accessTtlSeconds: 60 });
    const { token } = await fresh.issueAccessToken(ACCESS);
    const first = await fresh.verifyAccessToken(token);
    vi.setSystemTime(new Date(start.getTime() + 64_000)); // within exp + 5 s: remembered
    expect(await fresh.verifyAccessToken(token)).toBe(first);
    vi.setSystemTime(new Date(start.getTime() + 66_000));
    expect(await rejectionCode(fresh.verifyAccessToken(token))).toBe('token_expired');
  });

  it('only the exact string is remembered: a token differing in one character is verified again', async () => {
    const { token } = await tokens.issueAccessToken(ACCESS);
    await tokens.verifyAccessToken(token);
    const [h, b, sig] = token.split('.');
    const flipped = `${h}.${b}.${sig!.slice(0, -2)}${sig!.at(-2) === 'A' ? 'B' : 'A'}${sig!.at(-1)}`;
    expect(await rejectionCode(tokens.verifyAccessToken(flipped))).toBe('token_invalid');
    expect(await rejectionCode(tokens.verifyAccessToken(`${h}.${b}`))).toBe('token_invalid');
  });

  it('the remembered claims cannot be changed by a caller', async () => {
    const { token } = await tokens.issueAccessToken(ACCESS);
    const verified = await tokens.verifyAccessToken(token);
    expect(Object.isFrozen(verified)).toBe(true);
    expect((await tokens.verifyAccessToken(token)).role).toBe('auditor');
  });
});
