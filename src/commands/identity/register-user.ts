// Registration: claim the e-mail address (its own stream, so exactly one registration can win),
// then record the user. A claim whose user could not be recorded is released again.

import { randomUUID } from 'node:crypto';
import { checkPasswordPolicy, hashPassword, passwordTextProblem } from '../../auth/passwords.js';
import { DomainError } from '../../domain/decider.js';
import { emailClaimDecider, normaliseEmail } from '../../domain/identity/email-claim.js';
import { emailClaimStreams } from './email-claim-streams.js';
import type { Role } from '../../domain/identity/roles.js';
import { userDecider } from '../../domain/identity/user.js';
import { userStream } from '../../domain/identity/user-events.js';
import { nameTextProblem } from '../../domain/text/storable-text.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import { assertAppendable, handleCommand, loadStream } from '../command-handler.js';
import type { CommandContext } from '../context.js';

export interface RegistrationInput {
  email: string;
  password: string;
  displayName: string;
  role?: Role;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
export const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_LENGTH = 100;

export function validateEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email) || nameTextProblem(email) !== undefined) {
    throw new DomainError('invalid', 'invalid_email', 'this is not a valid e-mail address');
  }
  return email;
}

export function validateDisplayName(raw: string): string {
  const displayName = raw.trim().normalize('NFC');
  if (displayName.length === 0 || displayName.length > DISPLAY_NAME_MAX_LENGTH) {
    throw new DomainError('invalid', 'invalid_display_name', `display name must have 1 to ${DISPLAY_NAME_MAX_LENGTH} characters`);
  }
  const problem = nameTextProblem(displayName);
  if (problem) throw new DomainError('invalid', 'invalid_display_name', `display name ${problem}`);
  return displayName;
}

/**
 * Every field is checked, and the user's events decided and checked as the store will check them,
 * BEFORE the address is claimed: a registration that is refused appends nothing at all (it used to
 * claim and then release the address when the second append was refused).
 */
export async function registerUser(store: EventStore, input: RegistrationInput, ctx: CommandContext): Promise<{ userId: string; position: Position }> {
  const email = validateEmail(input.email);
  const displayName = validateDisplayName(input.displayName);
  const unusable = passwordTextProblem(input.password);
  if (unusable) throw new DomainError('invalid', 'invalid_password', unusable);
  const weakness = checkPasswordPolicy(input.password);
  if (weakness) throw new DomainError('invalid', 'weak_password', weakness);

  const userId = randomUUID();
  const passwordHash = await hashPassword(input.password);
  const claims = await emailClaimStreams(store, email);
  const claimStream = claims.current;
  const register = { type: 'RegisterUser' as const, userId, email, displayName, passwordHash, role: input.role ?? 'user' };
  // The user stream is new (a fresh id): deciding on the initial state is what handleCommand will decide.
  assertAppendable(store, userDecider, userStream(userId), register, ctx);
  if (claims.legacy !== undefined && (await loadStream(store, emailClaimDecider, claims.legacy)).state.claimedBy !== undefined) {
    throw new DomainError('conflict', 'email_taken', 'this e-mail address is already registered');
  }
  await handleCommand(store, emailClaimDecider, claimStream, { type: 'ClaimEmail', userId }, ctx);
  try {
    // The user's profile key (src/privacy): its e-mail, name and password hash are sealed under it.
    await store.dataKeys?.ensureKey({ purpose: 'profile', subjectId: userId });
    const result = await handleCommand(store, userDecider, userStream(userId), register, ctx);
    return { userId, position: result.position! };
  } catch (err) {
    // Give the address back so the person can try again; the release is recorded too.
    await handleCommand(store, emailClaimDecider, claimStream, { type: 'ReleaseEmail', userId, reason: 'registration_failed' }, ctx).catch(() => undefined);
    throw err;
  }
}
