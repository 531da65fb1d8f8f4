// E-mail uniqueness without a read model: stream `email-<sha256(normalised e-mail)>`. The first
// claim is appended with expectedRevision 'no_stream' semantics enforced by the handler's
// compare-and-set; a claim left behind by a registration that failed half-way is released.

import { createHash } from 'node:crypto';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';

export type EmailClaimed = DomainEvent<'EmailClaimed', { userId: string }>;
export type EmailReleased = DomainEvent<'EmailReleased', { userId: string; reason: string }>;
export type EmailClaimEvent = EmailClaimed | EmailReleased;

export type EmailClaimCommand = { type: 'ClaimEmail'; userId: string } | { type: 'ReleaseEmail'; userId: string; reason: string };

export interface EmailClaimState {
  claimedBy: string | undefined;
}

export const emailClaimDecider: Decider<EmailClaimCommand, EmailClaimEvent, EmailClaimState> = {
  initialState: { claimedBy: undefined },
  decide(command, state) {
    if (command.type === 'ClaimEmail') {
      if (state.claimedBy !== undefined) throw new DomainError('conflict', 'email_taken', 'this e-mail address is already registered');
      return [{ type: 'EmailClaimed', data: { userId: command.userId } }];
    }
    if (state.claimedBy !== command.userId) return [];
    return [{ type: 'EmailReleased', data: { userId: command.userId, reason: command.reason } }];
  },
  evolve(_state, event) {
    return event.type === 'EmailClaimed' ? { claimedBy: event.data.userId } : { claimedBy: undefined };
  },
};

/** Trims, applies Unicode NFC and lower-cases: the one form every e-mail is stored and compared in. */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export function emailClaimStream(normalisedEmail: string): string {
  return `email-${createHash('sha256').update(normalisedEmail).digest('hex')}`;
}
