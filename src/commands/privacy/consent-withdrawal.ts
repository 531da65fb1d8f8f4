// The consent-withdrawal hook (src/commands/identity/consents.ts ConsentWithdrawnHook): a withdrawal
// requests the erasure of the biometric data collected under that purpose. The erasure id comes from
// (subject, purpose, which withdrawal), so a retried withdrawal requests the same erasure; the
// erasure executor carries it out (src/workers/privacy/erasure-executor.ts).

import { randomUUID } from 'node:crypto';
import type { ConsentWithdrawnHook } from '../identity/consents.js';
import { systemActor } from '../context.js';
import type { ErasureService } from './erasure-service.js';

export function eraseOnConsentWithdrawn(erasures: Pick<ErasureService, 'request'>): ConsentWithdrawnHook {
  return async (userId, purpose, _position, info) => {
    await erasures.request({ scope: 'purpose', subjectId: userId, purpose, withdrawal: info.withdrawals }, 'consent_withdrawn', { actor: systemActor('consent-withdrawal'), correlationId: randomUUID() });
  };
}
