// What the privacy layer refuses; codes are stable and reach API clients (src/http/error-mapping.ts).

/** Base class of the privacy layer's errors. */
export abstract class PrivacyError extends Error {
  abstract readonly code: string;
}

/** The subject (or image) whose key would seal this data has been erased: nothing personal may be written for it again. */
export class SubjectErasedError extends PrivacyError {
  readonly code = 'subject_erased';
  constructor(readonly scope: string) {
    super(`${scope} has been erased; its personal data cannot be recorded again`);
    this.name = 'SubjectErasedError';
  }
}

/** The consent this collection relies on was withdrawn after the caller checked it. */
export class ConsentWithdrawnError extends PrivacyError {
  readonly code = 'consent_required';
  constructor(readonly purpose: string) {
    super(`consent for ${purpose} has been withdrawn`);
    this.name = 'ConsentWithdrawnError';
  }
}

/** There is no live key for this data (e.g. biometric data whose consent was withdrawn): it may not be recorded. */
export class NoLiveKeyError extends PrivacyError {
  readonly code = 'no_data_key';
  constructor(readonly scope: string) {
    super(`no live data key for ${scope}: the data may not be recorded`);
    this.name = 'NoLiveKeyError';
  }
}

/** A sealed value that fails authentication under its key: the log was altered or the value moved. */
export class SealIntegrityError extends PrivacyError {
  readonly code = 'sealed_value_corrupt';
  constructor(where: string) {
    super(`sealed value ${where} fails authentication (altered, or moved from another event)`);
    this.name = 'SealIntegrityError';
  }
}

/** A key-encryption key file or setting that cannot be used. */
export class KekConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KekConfigError';
  }
}
