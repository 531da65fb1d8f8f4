// Response shapes (TypeBox) shared by every feature's shapes: REST validates and documents with
// them (OpenAPI), the query services' view types are their Static types.

import { Type, type StringOptions } from '@sinclair/typebox';
import { DATE_RANGE_TEXT, MAX_DAY, MIN_DAY } from './dates.js';

export const PositionCursor = Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', description: 'Opaque position in the event log' });

export const Uuid = Type.String({ format: 'uuid' });

export const DateTime = Type.String({ format: 'date-time' });

/**
 * A date-time a client gives (filters, bounds): RFC 3339 with a zone, within the range of
 * src/queries/dates.ts. The schema checks the syntax; parseInstant, which every REST route and
 * GraphQL resolver calls, checks the range too (400 invalid_date).
 */
export const DateTimeInput = (opts: StringOptions = {}) => Type.String({ format: 'date-time', ...opts, description: `${opts.description ?? 'RFC 3339 date-time with a time zone'} (${DATE_RANGE_TEXT})` });

/** A calendar day a client gives (YYYY-MM-DD, from MIN_DAY to MAX_DAY; parseDay checks the range). */
export const DayInput = (opts: StringOptions = {}) => Type.String({ format: 'date', ...opts, description: `${opts.description ?? 'Calendar day'} (${MIN_DAY} to ${MAX_DAY})` });
