// Time travel, the kernel: a point in the past (a position cursor or a time) and the part of a
// stream's history at or before it. Each feature folds that part with its view's fold, the one its
// projection uses (images/image-history.ts, identity/user-history.ts); no read model is involved.
//
// "At a point" means the longest prefix of the stream (in revision order) whose events are all at
// or before it: a stream's state is always a prefix of its history, never one with a hole.

import { comparePositions, cursorToPosition, type Position } from '../eventstore/position.js';
import type { RecordedEvent } from '../eventstore/types.js';

/** A point in the past: every event at or before a log position, or recorded at or before a time. */
export type AsOf = { kind: 'position'; position: Position } | { kind: 'time'; time: Date };

export class InvalidAsOfError extends Error {
  readonly code = 'invalid_as_of';
  constructor(readonly value: string) {
    super(`'${value.slice(0, 64)}' is neither a position cursor nor an ISO 8601 date-time with a time zone (e.g. 2025-01-31T12:00:00Z)`);
    this.name = 'InvalidAsOfError';
  }
}

const CURSOR_SHAPE = /^[0-9]+-[0-9]+$/;
// RFC 3339 date-time; the offset is required (a local time would mean a different instant on every
// server). A space stands for '+' in the offset: an unencoded '+' in a query string arrives as one.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+\- ])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses `asOf`: a position cursor (`<commit>-<prepare>`) or an ISO 8601 date-time with an offset. */
export function parseAsOf(value: string): AsOf {
  if (value.length > 64) throw new InvalidAsOfError(value);
  if (CURSOR_SHAPE.test(value)) {
    try {
      return { kind: 'position', position: cursorToPosition(value) };
    } catch {
      throw new InvalidAsOfError(value);
    }
  }
  const m = DATE_TIME.exec(value);
  if (!m) throw new InvalidAsOfError(value);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    throw new InvalidAsOfError(value);
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const at = new Date(local);
  at.setUTCFullYear(year);
  const time = at.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (!Number.isFinite(time)) throw new InvalidAsOfError(value);
  return { kind: 'time', time: new Date(time) };
}

/** Whether one event is at or before the point (times compare at millisecond precision). */
export function isAtOrBefore(event: Pick<RecordedEvent, 'position' | 'recordedAt'>, asOf: AsOf): boolean {
  return asOf.kind === 'position' ? comparePositions(event.position, asOf.position) <= 0 : event.recordedAt.getTime() <= asOf.time.getTime();
}

/** The longest prefix of a stream's events (in revision order) that is at or before the point. */
export function prefixAsOf<T extends Pick<RecordedEvent, 'position' | 'recordedAt'>>(events: readonly T[], asOf: AsOf): T[] {
  const end = events.findIndex((e) => !isAtOrBefore(e, asOf));
  return end === -1 ? [...events] : events.slice(0, end);
}
