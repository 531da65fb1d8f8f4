// The biometric access log (issue 16 item 5; EU AI Act Art. 12, 19, 26(6)): every read of biometric
// content by someone other than its data subject is recorded, before the response leaves, as one
// access record per request (per delivered part for streams) in the log itself, so the notary
// covers access records like every other fact.
//
// Streams: a few per UTC day, `access-YYYY-MM-DD-<shard>` (appended with expected revision `any`:
// a record is a fact with no invariant to decide). The records of concurrent requests go out
// together as ONE `BiometricDataAccessed` event holding them all (src/commands/access/access-log.ts):
// per request the log then costs a few microseconds of JSON, not an event's sealing, row, indexes
// and notary leaf. Each record keeps its own id (`recordId`), so the read side, the API and the
// tests see one record per request exactly as before; the event's id is what an inclusion proof
// names. The personal part of every record (who, whose, why) is sealed as one field under the
// day's `access_log` key (personal-data.ts); retention shreds that key once the day is older than
// ACCESS_LOG_RETENTION_DAYS and records `AccessRecordsExpired` on `access-expiry-<day>`, so the
// records stay as facts (record id, time, route, fields, request id) with the parties erased and
// the tree over the sealed form is unchanged.

import type { DomainEvent } from '../decider.js';
import { isErased, type Erasable } from '../../privacy/declarations.js';
import type { Role } from '../identity/roles.js';

/** What of an image's biometric content a response held. */
export const ACCESS_FIELDS = ['faces', 'landmarks', 'descriptors', 'content', 'annotated'] as const;
export type AccessField = (typeof ACCESS_FIELDS)[number];

/** The data subject (an image's owner) and which of their images were read. */
export interface AccessedSubject {
  subjectId: string;
  imageIds: string[];
}

export interface Accessor {
  id: string;
  role: Role;
}

/** The clear part of one access record: what was read and how, never who or whose. */
export interface AccessRecordFacts {
  /** Unique per record (a request's access). */
  recordId: string;
  fields: AccessField[];
  /** The route pattern or GraphQL operation that served it. */
  route: string;
  /** The request id (X-Request-Id). */
  requestId: string;
  /** How many images the record names (a count, like ImageAnalyzed's faceCount). */
  imageCount: number;
}

/** The personal part of one access record. */
export interface AccessRecordParties {
  accessor: Accessor;
  subjects: AccessedSubject[];
  /** The purpose the caller gave (X-Access-Purpose), or null. */
  purpose: string | null;
}

export interface BiometricDataAccessedData {
  /** Clear: one entry per access record. */
  records: AccessRecordFacts[];
  /** Sealed, as one field: records[i]'s parties are parties[i]. */
  parties: Erasable<AccessRecordParties[]>;
}

/** One access record of an event: its facts, and its parties unless the day's key is shredded (null). */
export interface AccessRecordOf {
  facts: AccessRecordFacts;
  parties: AccessRecordParties | null;
}

/** The records an event holds, in order (parties null once erased; a malformed pairing throws). */
export function accessRecordsOf(data: BiometricDataAccessedData): AccessRecordOf[] {
  const parties = isErased(data.parties) ? null : data.parties;
  if (parties !== null && parties.length !== data.records.length) throw new Error(`BiometricDataAccessed holds ${data.records.length} records but ${parties.length} parties`);
  return data.records.map((facts, i) => ({ facts, parties: parties?.[i] ?? null }));
}

export type BiometricDataAccessed = DomainEvent<'BiometricDataAccessed', BiometricDataAccessedData>;

/** The day's key was shredded by retention: its records' personal fields read as erased from now on. */
export type AccessRecordsExpired = DomainEvent<'AccessRecordsExpired', { day: string; retentionDays: number; shreddedKeys: string[] }>;

export type AccessEvent = BiometricDataAccessed | AccessRecordsExpired;

export const ACCESS_STREAM_PREFIX = 'access-';
export const ACCESS_EXPIRY_PREFIX = 'access-expiry-';
const DAY_STREAM = /^(\d{4}-\d{2}-\d{2})-(\d{1,2})$/;

/** Record streams per day: appends to different shards may be in flight together. */
export const ACCESS_SHARDS = 4;

/** One of the day's record streams. */
export const accessStream = (day: string, shard: number): string => `${ACCESS_STREAM_PREFIX}${day}-${shard}`;
/** The prefix of every record stream of a day (an EventFilter stream prefix). */
export const accessDayPrefix = (day: string): string => `${ACCESS_STREAM_PREFIX}${day}-`;
export const accessExpiryStream = (day: string): string => `${ACCESS_EXPIRY_PREFIX}${day}`;

/** The UTC day (YYYY-MM-DD) of an instant. */
export const utcDayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** The day of a record stream (`access-2026-12-02-1` → `2026-12-02`); undefined for any other stream. */
export function dayOfAccessStream(stream: string): string | undefined {
  if (!stream.startsWith(ACCESS_STREAM_PREFIX) || stream.startsWith(ACCESS_EXPIRY_PREFIX)) return undefined;
  return DAY_STREAM.exec(stream.slice(ACCESS_STREAM_PREFIX.length))?.[1];
}

/** Longest purpose text a caller may give. */
export const MAX_PURPOSE_LENGTH = 200;
/** Printable text: letters, digits, punctuation and spaces (no control characters, no line breaks). */
const PURPOSE = /^[\p{L}\p{N}\p{P}\p{S} ]+$/u;

/** A purpose as given, or why it is refused (null: acceptable). */
export function purposeProblem(purpose: string): string | null {
  if (purpose.trim().length === 0) return 'the access purpose is empty';
  if (purpose.length > MAX_PURPOSE_LENGTH) return `the access purpose has more than ${MAX_PURPOSE_LENGTH} characters`;
  if (!PURPOSE.test(purpose)) return 'the access purpose may hold only printable characters and spaces';
  return null;
}
