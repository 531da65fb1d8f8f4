// Identity use cases: registration, login, token refresh/rotation, logout, role changes and
// deactivation. Each one is a command (or two) through the generic handler; no read model is
// consulted to decide anything: login finds the user through the e-mail claim stream.

import { randomUUID } from 'node:crypto';
import { verifyAgainstDummy, verifyPassword } from '../../auth/passwords.js';
import type { TokenService } from '../../auth/tokens.js';
import { DomainError } from '../../domain/decider.js';
import { emailClaimDecider } from '../../domain/identity/email-claim.js';
import { emailClaimStreams } from './email-claim-streams.js';
import type { Role } from '../../domain/identity/roles.js';
import { sessionDecider, sessionStream, type RevokeReason } from '../../domain/identity/session.js';
import { userDecider, type UserState } from '../../domain/identity/user.js';
import { userStream } from '../../domain/identity/user-events.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import { handleCommand, loadStream } from '../command-handler.js';
import type { CommandContext } from '../context.js';
import type { ConsentPurpose } from '../../domain/identity/consent.js';
import type { PublishedPolicy } from '../../privacy/policy/index.js';
import { consentsOf, giveConsent, noConsentWithdrawnHook, withdrawConsent, type ConsentRecord, type ConsentRenewalCheck, type ConsentWithdrawnHook } from './consents.js';
import { registerUser, validateEmail, type RegistrationInput } from './register-user.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
  position: Position | undefined;
}

/**
 * What must happen before a change of who may use an access token is answered, so that the very
 * next request, on any API process, already sees it (src/http/access-changes.ts: a revocation
 * mark in Redis, the wait for the read model, the cache bumps). Rejects when the change is
 * recorded but cannot be made to apply yet (the caller gets that answer; retrying is safe).
 * Absent (CLI, tests): the change applies once the read models have it.
 */
export interface AccessChanges {
  sessionRevoked(userId: string, sessionId: string, position: Position | undefined): Promise<void>;
  accountChanged(userId: string, position: Position | undefined): Promise<void>;
}

const invalidCredentials = () => new DomainError('unauthorized', 'invalid_credentials', 'wrong e-mail or password');

export class IdentityService {
  constructor(
    private readonly store: EventStore,
    private readonly tokens: TokenService,
    private readonly access?: AccessChanges,
    private readonly privacy: {
      /** Runs after a consent is withdrawn (consents.ts): the erasure of the data collected under it plugs in here. */
      onConsentWithdrawn?: ConsentWithdrawnHook;
      /** Runs before a withdrawn consent is given again (the erasure of the withdrawal must be done). */
      beforeConsentRenewed?: ConsentRenewalCheck;
    } = {},
  ) {}

  register(input: RegistrationInput, ctx: CommandContext): Promise<{ userId: string; position: Position }> {
    return registerUser(this.store, input, ctx);
  }

  /** The user behind an e-mail address, found through its claim stream. */
  private async findByEmail(rawEmail: string): Promise<Extract<UserState, { status: 'active' | 'deactivated' }> | undefined> {
    let email: string;
    try {
      email = validateEmail(rawEmail);
    } catch {
      return undefined;
    }
    const claims = await emailClaimStreams(this.store, email);
    let claimedBy = (await loadStream(this.store, emailClaimDecider, claims.current)).state.claimedBy;
    if (!claimedBy && claims.legacy !== undefined) claimedBy = (await loadStream(this.store, emailClaimDecider, claims.legacy)).state.claimedBy;
    if (!claimedBy) return undefined;
    const user = await loadStream(this.store, userDecider, userStream(claimedBy));
    // An erased account logs in like an unknown address (its e-mail and password hash are gone).
    return user.state.status === 'none' || user.state.status === 'erased' ? undefined : user.state;
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
      if (user.state.status === 'erased') throw new DomainError('unauthorized', 'account_erased', 'this account has been erased');
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
      // The family is revoked: its access tokens stop working before this answer leaves (if that
      // cannot be made so now, the answer is still this one: it is in force once projected).
      await this.access?.sessionRevoked(result.state.status === 'none' ? presented.userId : result.state.userId, presented.sessionId, result.position).catch(() => undefined);
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
    // Also when it was revoked already (no new event): a retry after a failed answer marks it again.
    if (result.state.status !== 'none') await this.access?.sessionRevoked(result.state.userId, sessionId, result.position);
    return result.position;
  }

  async changeRole(userId: string, role: Role, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, userDecider, userStream(userId), { type: 'ChangeUserRole', role }, ctx);
    await this.access?.accountChanged(userId, result.position);
    return result.position;
  }

  async deactivate(userId: string, reason: string, ctx: CommandContext): Promise<Position | undefined> {
    const result = await handleCommand(this.store, userDecider, userStream(userId), { type: 'DeactivateUser', reason }, ctx);
    await this.access?.accountChanged(userId, result.position);
    return result.position;
  }

  /** Consent for `purpose` under the published `policy`; `policyVersion` is the version the user read (else 409 policy_version_mismatch). */
  giveConsent(userId: string, consent: { purpose: ConsentPurpose; policyVersion: string }, policy: Pick<PublishedPolicy, 'version' | 'textSha256'>, ctx: CommandContext): Promise<ConsentRecord> {
    return giveConsent(this.store, userId, consent, policy, ctx, this.privacy.beforeConsentRenewed);
  }

  /** Withdraws consent for `purpose` (nothing recorded when not given), then runs the onConsentWithdrawn hook. */
  withdrawConsent(userId: string, purpose: ConsentPurpose, ctx: CommandContext): Promise<ConsentRecord> {
    return withdrawConsent(this.store, userId, purpose, ctx, this.privacy.onConsentWithdrawn ?? noConsentWithdrawnHook);
  }

  /** The user's consents as their stream says now (read-your-writes: not the read model). */
  consents(userId: string): ReturnType<typeof consentsOf> {
    return consentsOf(this.store, userId);
  }
}
