// Dates and instants given by clients (list filters, stats days, audit bounds), for REST and
// GraphQL alike: one parser, one range. A value the store cannot hold (PostgreSQL has no year 0;
// JavaScript renders years past 9999 as `+010000-…`, which PostgreSQL refuses) is a 400
// `invalid_date`, never a 500 from the database.
//
// The range is RFC 3339's four-digit years without year 0: 0001-01-01T00:00:00Z up to
// 9999-12-31T23:59:59.999Z, checked on the instant (an offset can move a date out of it).
// Codes as REST answers them: a value that is not a date-time/day at all is `validation_failed`
// (what the route's schema format says first), one outside the range `invalid_date`.

export class InvalidDateError extends Error {
  constructor(
    readonly code: 'validation_failed' | 'invalid_date' | 'invalid_range',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidDateError';
  }
}

export const MIN_DAY = '0001-01-01';
export const MAX_DAY = '9999-12-31';
export const MIN_INSTANT_MS = Date.parse(`${MIN_DAY}T00:00:00.000Z`);
export const MAX_INSTANT_MS = Date.parse(`${MAX_DAY}T23:59:59.999Z`);
const DAY_MS = 86_400_000;

export const DATE_RANGE_TEXT = `between ${MIN_DAY}T00:00:00Z and ${MAX_DAY}T23:59:59.999Z`;

// RFC 3339 date-time; the offset is required (a local time would mean a different instant on every
// server). A space stands for '+' in the offset: an unencoded '+' in a query string arrives as one.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+\- ])(\d{2}):(\d{2}))$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millis = 0): number {
  const at = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  at.setUTCFullYear(year, month - 1, day);
  return at.getTime();
}

const clip = (value: string) => JSON.stringify(value.slice(0, 64));

/**
 * An RFC 3339 date-time with an offset (`2025-01-31T12:00:00Z`, `…+01:00`), within the range.
 * Throws InvalidDateError naming the parameter.
 */
export function parseInstant(value: string, name: string): Date {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!m) throw new InvalidDateError('validation_failed', `${name} must be an RFC 3339 date-time with a time zone (e.g. 2025-01-31T12:00:00Z), not ${clip(String(value))}`);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) {
    throw new InvalidDateError('validation_failed', `${name}: ${clip(value)} is not a valid date-time`);
  }
  // A leap second is the last millisecond of its minute.
  const ms = utc(year, month, day, hour, minute, Math.min(second, 59), second === 60 ? 999 : millis) - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (!(ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS)) throw new InvalidDateError('invalid_date', `${name} must be ${DATE_RANGE_TEXT}, not ${clip(value)}`);
  return new Date(ms);
}

/** A calendar day `YYYY-MM-DD` from 0001-01-01 to 9999-12-31; returned as given. */
export function parseDay(value: string, name: string): string {
  const m = typeof value === 'string' ? DAY.exec(value) : null;
  if (!m) throw new InvalidDateError('validation_failed', `${name} must be a day (YYYY-MM-DD), not ${clip(String(value))}`);
  const [year, month, day] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new InvalidDateError('validation_failed', `${name}: ${clip(value)} is not a calendar day`);
  if (value < MIN_DAY || value > MAX_DAY) throw new InvalidDateError('invalid_date', `${name} must be a day from ${MIN_DAY} to ${MAX_DAY}, not ${clip(value)}`);
  return value;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The days of a per-day report (stats): `to` defaults to today (UTC), `from` to `defaultDays - 1`
 * days before `to` (never before 0001-01-01); `from` ≤ `to`, at most `maxDays` apart.
 */
export function dayRange(
  input: { from?: string | null | undefined; to?: string | null | undefined },
  opts: { now?: Date; defaultDays?: number; maxDays?: number } = {},
): { from: string; to: string } {
  const to = input.to ? parseDay(input.to, 'to') : dayOf((opts.now ?? new Date()).getTime());
  const from = input.from ? parseDay(input.from, 'from') : dayOf(Math.max(MIN_INSTANT_MS, utcDay(to) - ((opts.defaultDays ?? 30) - 1) * DAY_MS));
  if (from > to) throw new InvalidDateError('invalid_range', '"from" is after "to"');
  const maxDays = opts.maxDays ?? 366;
  if (utcDay(to) - utcDay(from) > maxDays * DAY_MS) throw new InvalidDateError('invalid_range', `at most ${maxDays} days at a time`);
  return { from, to };
}

function utcDay(day: string): number {
  const [year, month, d] = day.split('-').map(Number) as [number, number, number];
  return utc(year, month, d);
}
