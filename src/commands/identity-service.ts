// Identity use cases: registration, login, token refresh/rotation, logout, role changes and
// deactivation. Each one is a command (or two) through the generic handler; no read model is
// consulted to decide anything: login finds the user through the e-mail claim stream.

import { randomUUID } from 'node:crypto';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { TokenService } from '../auth/tokens.js';
import { DomainError } from '../domain/decider.js';
import { emailClaimDecider, emailClaimStream, normaliseEmail } from '../domain/identity/email-claim.js';
import type { Role } from '../domain/identity/roles.js';
import { sessionDecider, sessionStream, type RevokeReason } from '../domain/identity/session.js';
import { userDecider, type UserState } from '../domain/identity/user.js';
import { userStream } from '../domain/identity/user-events.js';
import type { EventStore, Position } from '../eventstore/types.js';
import { handleCommand, loadStream } from './command-handler.js';
import type { CommandContext } from './context.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
  position: Position | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
export const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_LENGTH = 100;

export function validateEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) {
    throw new DomainError('invalid', 'invalid_email', 'this is not a valid e-mail address');
  }
  return email;
}

const invalidCredentials = () => new DomainError('unauthorized', 'invalid_credentials', 'wrong e-mail or password');

export class IdentityService {
  constructor(
    private readonly store: EventStore,
    private readonly tokens: TokenService,
  ) {}

  async register(input: { email: string; password: string; displayName: string; role?: Role }, ctx: CommandContext): Promise<{ userId: string; position: Position }> {
    const email = validateEmail(input.email);
    const displayName = input.displayName.trim().normalize('NFC');
    if (displayName.length === 0 || displayName.length > DISPLAY_NAME_MAX_LENGTH) {
      throw new DomainError('invalid', 'invalid_display_name', `display name must have 1 to ${DISPLAY_NAME_MAX_LENGTH} characters`);
    }
    const weakness = checkPasswordPolicy(input.password);
    if (weakness) throw new DomainError('invalid', 'weak_password', weakness);

    const userId = randomUUID();
    const passwordHash = await hashPassword(input.password);
    const claimStream = emailClaimStream(email);
    await handleCommand(this.store, emailClaimDecider, claimStream, { type: 'ClaimEmail', userId }, ctx);
    try {
      const result = await handleCommand(
        this.store,
        userDecider,
        userStream(userId),
        { type: 'RegisterUser', userId, email, displayName, passwordHash, role: input.role ?? 'user' },
        ctx,
      );
      return { userId, position: result.position! };
    } catch (err) {
      // Give the address back so the person can try again; the release is recorded too.
      await handleCommand(this.store, emailClaimDecider, claimStream, { type: 'ReleaseEmail', userId, reason: 'registration_failed' }, ctx).catch(() => undefined);
      throw err;
    }
  }

  /** The user behind an e-mail address, found through its claim stream. */
  private async findByEmail(rawEmail: string): Promise<Extract<UserState, { userId: string }> | undefined> {
    let email: string;
    try {
      email = validateEmail(rawEmail);
    } catch {
      return undefined;
    }
    const claim = await loadStream(this.store, emailClaimDecider, emailClaimStream(email));
    if (!claim.state.claimedBy) return undefined;
    const user = await loadStream(this.store, userDecider, userStream(claim.state.claimedBy));
    return user.state.status === 'none' ? undefined : user.state;
  }

  async login(input: { email: string; password: string }, ctx: Omit<CommandContext, 'actor'>): Promise<TokenPair & { userId: string }> {
    const user = await this.findByEmail(input.email);
    // Same work and the same answer for an unknown address as for a wrong password.
    if (!user) {
      await verifyAgainstDummy(input.password);
      throw invalidCredentials();
    }
    if (!(await verifyPassword(user.passwordHash, input.password))) throw invalidCredentials();
    if (user.status === 'deactivated') throw new DomainError('forbidden', 'account_deactivated', 'this account is deactivated');

    const sessionId = randomUUID();
    const tokenId = randomUUID();
    const refresh = await this.tokens.issueRefreshToken({ userId: user.userId, sessionId, tokenId });
    const started = await handleCommand(
      this.store,
      sessionDecider,
      sessionStream(sessionId),
      { type: 'StartSession', userId: user.userId, tokenId, expiresAt: refresh.expiresAt.toISOString() },
      { ...ctx, actor: { id: user.userId, kind: 'user', role: user.role } },
    );
    const access = await this.tokens.issueAccessToken({ userId: user.userId, role: user.role, sessionId });
    return {
      userId: user.userId,
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshExpiresIn: refresh.expiresIn,
      position: started.position,
    };
  }

  /** Rotates the refresh token. A token that was already rotated revokes the whole family. */
  async refresh(refreshToken: string, ctx: Omit<CommandContext, 'actor'>): Promise<TokenPair> {
    const presented = await this.tokens.verifyRefreshToken(refreshToken);
    const actorCtx: CommandContext = { ...ctx, actor: { id: presented.userId, kind: 'user' } };
    const user = await loadStream(this.store, userDecider, userStream(presented.userId));
    if (user.state.status !== 'active') {
      await this.revoke(presented.sessionId, 'user_deactivated', actorCtx).catch(() => undefined);
      throw new DomainError('unauthorized', 'account_deactivated', 'this account is deactivated');
    }
    const tokenId = randomUUID();
    const next = await this.tokens.issueRefreshToken({ userId: presented.userId, sessionId: presented.sessionId, tokenId });
    const result = await handleCommand(
      this.store,
      sessionDecider,
      sessionStream(presented.sessionId),
      { type: 'RotateRefreshToken', presentedTokenId: presented.tokenId, newTokenId: tokenId, expiresAt: next.expiresAt.toISOString(), now: new Date().toISOString() },
      { ...actorCtx, actor: { ...actorCtx.actor, role: user.state.role } },
    );
    if (result.events.some((e) => e.type === 'SessionRevoked')) {
      throw new DomainError('unauthorized', 'refresh_token_reused', 'this refresh token was already used; the session has been revoked');
    }
    const access = await this.tokens.issueAccessToken({ userId: presented.userId, role: user.state.role, sessionId: presented.sessionId });
    return {
      accessToken: access.token,
      refreshToken: next.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshExpiresIn: next.expiresIn,
      position: result.position,
    };
  }

  async logout(refreshToken: string, ctx: Omit<CommandContext, 'actor'>): Promise<Position | undefined> {
    const presented = await this.tokens.verifyRefreshToken(refreshToken);
    return this.revoke(presented.sessionId, 'logout', { ...ctx, actor: { id: presented.userId, kind: 'user' } });
  }

  private async revoke(sessionId: string, reason: RevokeReason, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, sessionDecider, sessionStream(sessionId), { type: 'RevokeSession', reason }, ctx);
    return result.position;
  }

  async changeRole(userId: string, role: Role, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, userDecider, userStream(userId), { type: 'ChangeUserRole', role }, ctx);
    return result.position;
  }

  async deactivate(userId: string, reason: string, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, userDecider, userStream(userId), { type: 'DeactivateUser', reason }, ctx);
    return result.position;
  }
}
