// What a module declares about the personal data in its events (DESIGN.md §9), and the two marks a
// personal field can carry in a stored or read event. Pure: the domain imports it to declare its
// fields and to fold events whose personal content has been erased.

/**
 * Why a key exists: what it protects and what may erase it.
 * - profile: an account's own details (e-mail, display name, password hash; later person names)
 * - content: an image's non-biometric details (its filename)
 * - face_analysis / face_recognition: biometric data collected under that consent purpose
 * - access_log: one day of biometric access records (issue 16; src/domain/access): its subject is
 *   the day's scope (a UUID v5 of the day), not a person, and retention shreds it when the day expires
 */
export type KeyPurpose = 'profile' | 'content' | 'face_analysis' | 'face_recognition' | 'access_log';

/** Which data key seals a field: a subject's key for a purpose, or an image's (its owner is the subject). */
export type KeySelector = { purpose: KeyPurpose; subjectId: string; imageId?: undefined } | { purpose: KeyPurpose; imageId: string; subjectId?: undefined };

/** The personal fields of one event type and the key that seals them. */
export interface PersonalFields {
  /** Top-level `data` fields holding personal or biometric data. */
  readonly fields: readonly string[];
  /** The key for an event of this type in `stream` (pure: from the stream name and the clear data). */
  key(stream: string, data: Readonly<Record<string, unknown>>): KeySelector;
}

/** Per event type (a module's declaration). */
export type PersonalDataDeclaration = Readonly<Record<string, PersonalFields>>;

/** A sealed field as stored: AES-256-GCM under data key `kid` (base64url iv and ciphertext+tag). */
export interface SealedValue {
  $sealed: { kid: string; iv: string; ct: string };
}

/** What a personal field reads as once its key is shredded. */
export interface Erased {
  $erased: true;
}

export const ERASED: Erased = Object.freeze({ $erased: true as const });

/** A personal field as readers see it: its value, or the erasure mark. */
export type Erasable<T> = T | Erased;

export function isErased(value: unknown): value is Erased {
  return typeof value === 'object' && value !== null && (value as { $erased?: unknown }).$erased === true;
}

export function isSealed(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null) return false;
  const s = (value as { $sealed?: unknown }).$sealed;
  return typeof s === 'object' && s !== null && typeof (s as SealedValue['$sealed']).kid === 'string';
}

/** The value, or `fallback` when it was erased (a fold that keeps a placeholder). */
export function unlessErased<T, F>(value: Erasable<T>, fallback: F): T | F {
  return isErased(value) ? fallback : value;
}
