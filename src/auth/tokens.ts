import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { AuthError } from './errors.js';
import type { SigningKeys } from './keys.js';
import { isRole } from './roles.js';
import type { Role } from './roles.js';

/** Longer tokens are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

const ALG = 'EdDSA';
// RFC 9068 access-token type; refresh tokens get their own explicit type (RFC 8725 §3.11).
const ACCESS_TYP = 'at+jwt';
const REFRESH_TYP = 'refresh+jwt';

export interface TokenServiceOptions {
  issuer: string;
  audience: string;
  /** Default 300 (5 min). */
  accessTtlSeconds?: number | undefined;
  /** Default 86400 (1 day). */
  refreshTtlSeconds?: number | undefined;
  /** Allowed clock skew when checking exp; default 5. */
  clockToleranceSeconds?: number | undefined;
}

export interface AccessTokenInput {
  userId: string;
  role: Role;
  sessionId: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAt: Date;
  /** Seconds until expiry (the OAuth `expires_in`). */
  expiresIn: number;
}

export interface RefreshTokenInput {
  userId: string;
  sessionId: string;
  /** Id of the stored refresh token (becomes `jti`); rotation compares it. */
  tokenId: string;
}

export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

export interface VerifiedAccessToken {
  userId: string;
  role: Role;
  sessionId: string;
  jti: string;
  expiresAt: Date;
}

export interface VerifiedRefreshToken {
  userId: string;
  sessionId: string;
  tokenId: string;
  expiresAt: Date;
}

/** Issues and verifies EdDSA access and refresh JWTs. Verification failures throw AuthError. */
/** Access tokens remembered as verified (one entry is ~1 kB). */
const VERIFIED_ACCESS_CACHE_SIZE = 10_000;

export class TokenService {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  private readonly clockToleranceSeconds: number;
  private readonly privateKey: CryptoKey;
  private readonly publicKey: CryptoKey;
  private readonly publicJwk: JWK;
  private readonly kid: string;
  private readonly verifiedAccess = new Map<string, VerifiedAccessToken>();

  constructor(
    keys: SigningKeys,
    private readonly options: TokenServiceOptions,
  ) {
    if (options.issuer === '' || options.audience === '') throw new Error('TokenService: issuer and audience are required');
    this.accessTtlSeconds = positiveInteger(options.accessTtlSeconds ?? 300, 'accessTtlSeconds');
    this.refreshTtlSeconds = positiveInteger(options.refreshTtlSeconds ?? 86_400, 'refreshTtlSeconds');
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? 5;
    if (!Number.isInteger(this.clockToleranceSeconds) || this.clockToleranceSeconds < 0) {
      throw new Error('TokenService: clockToleranceSeconds must be a non-negative integer');
    }
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.kid = keys.kid;
    // Only the public members, whatever the caller passed.
    const { kty, crv, x } = keys.publicJwk;
    this.publicJwk = { kty, crv, x, kid: keys.kid, alg: ALG, use: 'sig' };
  }

  async issueAccessToken(input: AccessTokenInput, now: Date = new Date()): Promise<IssuedAccessToken> {
    requireId(input.userId, 'userId');
    requireId(input.sessionId, 'sessionId');
    if (!isRole(input.role)) throw new Error(`issueAccessToken: unknown role ${String(input.role)}`);
    const jti = randomUUID();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.accessTtlSeconds;
    const token = await new SignJWT({ role: input.role, sid: input.sessionId, typ: 'access' })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: ACCESS_TYP })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(input.userId)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, jti, expiresAt: new Date(exp * 1000), expiresIn: this.accessTtlSeconds };
  }

  async issueRefreshToken(input: RefreshTokenInput, now: Date = new Date()): Promise<IssuedRefreshToken> {
    requireId(input.userId, 'userId');
    requireId(input.sessionId, 'sessionId');
    requireId(input.tokenId, 'tokenId');
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.refreshTtlSeconds;
    const token = await new SignJWT({ sid: input.sessionId, typ: 'refresh' })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: REFRESH_TYP })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(input.userId)
      .setJti(input.tokenId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000), expiresIn: this.refreshTtlSeconds };
  }

  /**
   * `now` overrides the clock (tests; bypasses the cache). A token verified once is remembered
   * (exact string, bounded LRU) until it expires: an Ed25519 verification was a fifth of a cached
   * read's CPU, and a verified token's claims cannot change. Expiry is checked on every use, as
   * jwtVerify does (with the same clock tolerance).
   */
  async verifyAccessToken(token: string, now?: Date): Promise<VerifiedAccessToken> {
    if (now === undefined) {
      const known = this.verifiedAccess.get(token);
      if (known && Date.now() < known.expiresAt.getTime() + this.clockToleranceSeconds * 1000) {
        this.verifiedAccess.delete(token); // most recently used last
        this.verifiedAccess.set(token, known);
        return known;
      }
    }
    const p = await this.verify(token, ACCESS_TYP, 'access', ['role'], now);
    if (!isRole(p.role)) throw invalid();
    const verified = Object.freeze({ userId: p.sub, role: p.role, sessionId: p.sid, jti: p.jti, expiresAt: new Date(p.exp * 1000) });
    if (now === undefined) {
      this.verifiedAccess.set(token, verified);
      if (this.verifiedAccess.size > VERIFIED_ACCESS_CACHE_SIZE) this.verifiedAccess.delete(this.verifiedAccess.keys().next().value!);
    }
    return verified;
  }

  /**
   * A short-lived token for one purpose other than API access, e.g. the queue board's cookie:
   * header typ `<purpose>+jwt` and claim typ `<purpose>`, so it is never accepted as an access or
   * refresh token, nor they as it. Signed with the same key, so every API process verifies it.
   */
  async issuePurposeToken(purpose: string, input: { userId: string; sessionId: string }, ttlSeconds: number, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
    requireId(input.userId, 'userId');
    requireId(input.sessionId, 'sessionId');
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(purpose) || purpose === 'access' || purpose === 'refresh') throw new Error(`issuePurposeToken: bad purpose '${purpose}'`);
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ sid: input.sessionId, typ: purpose })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: `${purpose}+jwt` })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(input.userId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies a token of issuePurposeToken(purpose); AuthError otherwise. */
  async verifyPurposeToken(purpose: string, token: string, now?: Date): Promise<{ userId: string; sessionId: string; expiresAt: Date }> {
    if (purpose === 'access' || purpose === 'refresh') throw new Error(`verifyPurposeToken: bad purpose '${purpose}'`);
    const p = await this.verify(token, `${purpose}+jwt`, purpose, [], now);
    return { userId: p.sub, sessionId: p.sid, expiresAt: new Date(p.exp * 1000) };
  }

  /** `now` overrides the clock (tests). */
  async verifyRefreshToken(token: string, now?: Date): Promise<VerifiedRefreshToken> {
    const p = await this.verify(token, REFRESH_TYP, 'refresh', [], now);
    return { userId: p.sub, sessionId: p.sid, tokenId: p.jti, expiresAt: new Date(p.exp * 1000) };
  }

  /**
   * A signed statement the service makes (e.g. an erasure receipt): a compact JWS (JWT) with header
   * typ `typ` (never `at+jwt`/`refresh+jwt`, so it is never accepted as a token), issuer this
   * service, no expiry. Verifiable by anyone with the JWKS.
   */
  async signStatement(typ: string, claims: JWTPayload, now: Date = new Date()): Promise<string> {
    if (!/^[a-z][a-z0-9-]{0,40}\+jwt$/.test(typ) || typ === ACCESS_TYP || typ === REFRESH_TYP) throw new Error(`signStatement: bad typ '${typ}'`);
    return new SignJWT(claims).setProtectedHeader({ alg: ALG, kid: this.kid, typ }).setIssuer(this.options.issuer).setIssuedAt(Math.floor(now.getTime() / 1000)).sign(this.privateKey);
  }

  /** Verifies a statement of signStatement(typ); AuthError token_invalid otherwise (a changed byte included). */
  async verifyStatement(typ: string, jws: string): Promise<JWTPayload> {
    if (typeof jws !== 'string' || jws.length === 0 || jws.length > 64 * 1024) throw invalid();
    try {
      const { payload } = await jwtVerify(jws, this.publicKey, { algorithms: [ALG], issuer: this.options.issuer, typ });
      return payload;
    } catch (error) {
      throw invalid(error);
    }
  }

  /** The public key set for `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  private async verify(
    token: string,
    headerTyp: string,
    claimTyp: string,
    extraClaims: string[],
    now: Date | undefined,
  ): Promise<CheckedPayload> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: headerTyp,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'sid', 'typ', ...extraClaims],
        ...(now === undefined ? {} : { currentDate: now }),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthError('token_expired', undefined, { cause: error });
      throw invalid(error);
    }
    const { sub, jti, exp, sid, typ } = payload;
    if (typ !== claimTyp || !isId(sub) || !isId(jti) || !isId(sid) || typeof exp !== 'number') throw invalid();
    return { ...payload, sub, jti, exp, sid };
  }
}

interface CheckedPayload extends JWTPayload {
  sub: string;
  jti: string;
  exp: number;
  sid: string;
}

function invalid(cause?: unknown): AuthError {
  return new AuthError('token_invalid', undefined, cause === undefined ? undefined : { cause });
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

function requireId(value: string, name: string): void {
  if (!isId(value)) throw new Error(`TokenService: ${name} must be a non-empty string of at most 256 characters`);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`TokenService: ${name} must be a positive integer`);
  return value;
}
