// The consent-withdrawal hook (src/commands/identity/consents.ts ConsentWithdrawnHook): a withdrawal
// requests the erasure of the biometric data collected under that purpose. The erasure id comes from
// (subject, purpose, which withdrawal), so a retried withdrawal requests the same erasure; the
// erasure executor carries it out (src/workers/privacy/erasure-executor.ts).

import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/decider.js';
import type { ConsentRenewalCheck, ConsentWithdrawnHook } from '../identity/consents.js';
import { systemActor } from '../context.js';
import type { ErasureService } from './erasure-service.js';

export function eraseOnConsentWithdrawn(erasures: Pick<ErasureService, 'request'>): ConsentWithdrawnHook {
  return async (userId, purpose, _position, info) => {
    await erasures.request({ scope: 'purpose', subjectId: userId, purpose, withdrawal: info.withdrawals }, 'consent_withdrawn', { actor: systemActor('consent-withdrawal'), correlationId: randomUUID() });
  };
}

/**
 * Before a withdrawn consent is given again: the erasure of what was collected under the last
 * withdrawal must be complete, or it would shred the keys made under the new consent (a withdrawal
 * erases the purpose's keys of the subject). Requests it again (idempotent; in case the hook's
 * request was lost), waits for it up to `waitMs`, else 409 `erasure_pending` (retry shortly).
 */
export function requireWithdrawalErased(erasures: Pick<ErasureService, 'request' | 'awaitReceipt'>, waitMs: number): ConsentRenewalCheck {
  return async (userId, purpose, withdrawals) => {
    if (withdrawals === 0) return;
    const { erasureId, completed } = await erasures.request(
      { scope: 'purpose', subjectId: userId, purpose, withdrawal: withdrawals },
      'consent_withdrawn',
      { actor: systemActor('consent-withdrawal'), correlationId: randomUUID() },
    );
    if (completed || (await erasures.awaitReceipt(erasureId, waitMs))) return;
    throw new DomainError('conflict', 'erasure_pending', `the erasure of the data collected before consent to ${purpose} was withdrawn is still running (erasure ${erasureId}); give consent again shortly`);
  };
}
