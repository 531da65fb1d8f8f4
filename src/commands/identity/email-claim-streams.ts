// Which stream holds the claim of an e-mail address. With a sealing store (src/privacy) the name
// is a keyed hash (HMAC-SHA-256 under a system secret kept wrapped in the key store), so the log
// never holds something an address can be checked against without that secret; claims recorded
// before this (a plain sha256 of the address) are still honoured: registration refuses an
// address claimed there, login finds its user there.

import { emailClaimStream } from '../../domain/identity/email-claim.js';
import type { EventStore } from '../../eventstore/types.js';

export const EMAIL_CLAIM_SECRET = 'email-claim';

export interface EmailClaimStreams {
  /** Where a new claim is recorded. */
  current: string;
  /** The plain-sha256 stream of claims recorded before keyed names (when different). */
  legacy: string | undefined;
}

export async function emailClaimStreams(store: Pick<EventStore, 'dataKeys'>, normalisedEmail: string): Promise<EmailClaimStreams> {
  const legacy = emailClaimStream(normalisedEmail);
  if (!store.dataKeys) return { current: legacy, legacy: undefined };
  return { current: `email-${await store.dataKeys.keyedHash(EMAIL_CLAIM_SECRET, normalisedEmail)}`, legacy };
}
