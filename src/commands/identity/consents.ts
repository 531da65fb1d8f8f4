// The consent ledger's use cases (issue 15 item 3): give and withdraw consent for a purpose, read
// it back from the user stream. Consent is read from the stream, never from a read model: a
// consent given a moment ago counts at once, a withdrawal likewise.

import { DomainError } from '../../domain/decider.js';
import { NO_CONSENTS, type ConsentPurpose, type Consents, type ConsentStatus } from '../../domain/identity/consent.js';
import { userDecider } from '../../domain/identity/user.js';
import { userStream } from '../../domain/identity/user-events.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import type { PublishedPolicy } from '../../privacy/policy/index.js';
import { handleCommand, loadStream } from '../command-handler.js';
import type { CommandContext } from '../context.js';

/** What an upload (or any collection) checks: is consent for `purpose` in force now. */
export interface ConsentCheck {
  given: boolean;
  policyVersion?: string;
  /**
   * How many ConsentWithdrawn{purpose} the user stream held when this was read: the key store's
   * ensureKey({consentWithdrawals}) refuses when it has recorded more (a withdrawal raced the check).
   */
  withdrawals: number;
}

/**
 * Runs after a withdrawal is recorded (also when it was recorded before: a retry runs it again,
 * so what it does must be idempotent — the erasure derives its id from the subject and purpose).
 * `position` is the ConsentWithdrawn event's, undefined when this request recorded nothing new.
 * The erasure of the biometric data collected under the purpose plugs in here.
 */
export type ConsentWithdrawnHook = (userId: string, purpose: ConsentPurpose, position: Position | undefined, info: { withdrawals: number }) => Promise<void>;

export const noConsentWithdrawnHook: ConsentWithdrawnHook = () => Promise.resolve();

/**
 * Runs before a consent withdrawn `withdrawals` times is given again; rejects to refuse it (the
 * erasure of the last withdrawal still running). Absent: no check.
 */
export type ConsentRenewalCheck = (userId: string, purpose: ConsentPurpose, withdrawals: number) => Promise<void>;

/** The user's consents as their stream says now (none for an unknown user). */
export async function consentsOf(store: EventStore, userId: string): Promise<{ consents: Consents; status: 'none' | 'active' | 'deactivated' | 'erased'; revision: bigint | undefined }> {
  const { state, revision } = await loadStream(store, userDecider, userStream(userId));
  return { consents: state.status === 'none' ? NO_CONSENTS : state.consents, status: state.status, revision };
}

/** Consent for one purpose, read from the user stream (an erased or unknown user has none). */
export async function consentFor(store: EventStore, userId: string, purpose: ConsentPurpose): Promise<ConsentCheck> {
  const { consents, status } = await consentsOf(store, userId);
  const c: ConsentStatus = consents[purpose];
  const given = c.given && (status === 'active' || status === 'deactivated');
  return { given, ...(c.policyVersion === undefined ? {} : { policyVersion: c.policyVersion }), withdrawals: c.withdrawals };
}

/** Refuses (409 consent_required) unless consent for `purpose` is in force; returns the check. */
export async function requireConsent(store: EventStore, userId: string, purpose: ConsentPurpose): Promise<ConsentCheck> {
  const check = await consentFor(store, userId, purpose);
  if (!check.given) {
    throw new DomainError('conflict', 'consent_required', `consent for '${purpose}' is required first: read GET /v1/privacy/policy, then POST /v1/me/consents {"purpose":"${purpose}","policyVersion":"<version>"}`);
  }
  return check;
}

export interface ConsentRecord {
  purpose: ConsentPurpose;
  given: boolean;
  policyVersion: string | undefined;
  textSha256: string | undefined;
  withdrawals: number;
  /** Position of the event this request recorded; undefined when it recorded nothing (already so). */
  position: Position | undefined;
}

const recordOf = (purpose: ConsentPurpose, c: ConsentStatus, position: Position | undefined): ConsentRecord => ({
  purpose,
  given: c.given,
  policyVersion: c.policyVersion,
  textSha256: c.textSha256,
  withdrawals: c.withdrawals,
  position,
});

export async function giveConsent(
  store: EventStore,
  userId: string,
  consent: { purpose: ConsentPurpose; policyVersion: string },
  policy: Pick<PublishedPolicy, 'version' | 'textSha256'>,
  ctx: CommandContext,
  beforeRenewal?: ConsentRenewalCheck,
): Promise<ConsentRecord> {
  if (beforeRenewal) {
    const now = await consentFor(store, userId, consent.purpose);
    if (!now.given && now.withdrawals > 0) await beforeRenewal(userId, consent.purpose, now.withdrawals);
  }
  const result = await handleCommand(
    store,
    userDecider,
    userStream(userId),
    { type: 'GiveConsent', purpose: consent.purpose, policyVersion: consent.policyVersion, current: { version: policy.version, textSha256: policy.textSha256 } },
    ctx,
  );
  if (result.state.status === 'none') throw new DomainError('not_found', 'user_not_found', 'no such user');
  return recordOf(consent.purpose, result.state.consents[consent.purpose], result.position);
}

/** Records the withdrawal (nothing when not given), then runs the hook when the consent has ever been withdrawn. */
export async function withdrawConsent(store: EventStore, userId: string, purpose: ConsentPurpose, ctx: CommandContext, onWithdrawn: ConsentWithdrawnHook = noConsentWithdrawnHook): Promise<ConsentRecord> {
  const result = await handleCommand(store, userDecider, userStream(userId), { type: 'WithdrawConsent', purpose }, ctx);
  if (result.state.status === 'none') throw new DomainError('not_found', 'user_not_found', 'no such user');
  const now = result.state.consents[purpose];
  if (!now.given && now.withdrawals > 0) await onWithdrawn(userId, purpose, result.position, { withdrawals: now.withdrawals });
  return recordOf(purpose, now, result.position);
}
