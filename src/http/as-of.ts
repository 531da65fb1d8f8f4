// `?asOf=<position cursor | ISO date-time>` on reads: the resource as it was then, folded from its
// event stream (src/queries/time-travel.ts). Responses echo `asOf` and name the `revision` folded.

import { Type } from '@sinclair/typebox';
import { InvalidAsOfError, parseAsOf, type AsOf } from '../queries/time-travel.js';
import { HttpProblem } from './problem.js';

export const AsOfQuery = Type.String({
  description:
    'Time travel: the resource as it was at this position cursor (from a command response) or ISO 8601 date-time with a time zone. Read from the event stream, so consistentWith does not apply.',
  examples: ['2025-01-31T12:00:00Z'],
});

/** Fields added to a read's response when `asOf` is given. */
export const AsOfFields = Type.Object({
  asOf: Type.Optional(Type.String({ description: 'The asOf value of the request, echoed' })),
  revision: Type.Optional(Type.String({ description: 'Stream revision of the last event folded' })),
});

/** Parses the query value, or answers 400 `invalid_as_of`. */
export function asOfParam(value: string): AsOf {
  try {
    return parseAsOf(value);
  } catch (err) {
    if (err instanceof InvalidAsOfError) throw new HttpProblem(400, err.code, 'Bad request', err.message);
    throw err;
  }
}
