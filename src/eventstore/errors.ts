import type { ExpectedRevision } from './types.js';

/** Base class of every error the event store throws on purpose; `code` is stable. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

export class WrongExpectedRevisionError extends EventStoreError {
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream '${stream}': expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export type InvalidEventCode =
  | 'invalid_stream_name'
  | 'invalid_event_type'
  | 'invalid_event_id'
  | 'event_not_serializable'
  | 'event_too_large'
  | 'append_too_large'
  | 'empty_append'
  | 'invalid_expected_revision';

/** Bad input to append: nothing was written. */
export class InvalidEventError extends EventStoreError {
  constructor(
    readonly code: InvalidEventCode,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** An event id that is already used by another stream, or a partial repeat of an earlier append. */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'duplicate_event_id';
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`event id ${eventId} is already recorded elsewhere than a complete earlier append to '${stream}'`);
    this.name = 'DuplicateEventIdError';
  }
}

export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'event_store_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}
