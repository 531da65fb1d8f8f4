// Consent purposes (issue 15, DESIGN.md §9): the one list of what a user can consent to, used by
// the user decider, the routes' schema and the upload check. Biometric data is collected only
// under a purpose the user has given consent for, against the policy version then published.

export const CONSENT_PURPOSES = ['face_analysis', 'face_recognition'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

export const isConsentPurpose = (value: unknown): value is ConsentPurpose => typeof value === 'string' && (CONSENT_PURPOSES as readonly string[]).includes(value);

/** One purpose in the user state: given now or not, under which policy, and how often withdrawn. */
export interface ConsentStatus {
  given: boolean;
  /** The policy version of the consent in force (of the last one given, once withdrawn). */
  policyVersion?: string;
  textSha256?: string;
  /**
   * ConsentWithdrawn{purpose} events seen in the stream. The key store's race check compares it
   * with its own count: an upload that checked consent before a concurrent withdrawal is refused.
   */
  withdrawals: number;
}

export type Consents = Readonly<Record<ConsentPurpose, ConsentStatus>>;

export const NO_CONSENTS: Consents = { face_analysis: { given: false, withdrawals: 0 }, face_recognition: { given: false, withdrawals: 0 } };
