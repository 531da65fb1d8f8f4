// The 429 of @fastify/rate-limit as problem+json: the limit, its window and when to retry. (Its
// context's `after` is the time left until the window resets, not the window: "per 1 minute"
// read as "per 37 seconds" before.)

import type { errorResponseBuilderContext } from '@fastify/rate-limit';
import { HttpProblem } from './problem.js';

/** `1 minute`, `10 seconds`, `1.5 hours`. */
export function windowText(ms: number): string {
  const units: [number, string][] = [[3_600_000, 'hour'], [60_000, 'minute'], [1_000, 'second']];
  for (const [size, name] of units) {
    if (ms >= size) {
      const n = Math.round((ms / size) * 10) / 10;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/** The errorResponseBuilder of a limiter with a window of `windowMs` (undefined: not said). */
export function rateLimitProblem(windowMs?: number) {
  return (_request: unknown, context: errorResponseBuilderContext): HttpProblem => {
    const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
    const window = windowMs === undefined ? '' : ` per ${windowText(windowMs)}`;
    return new HttpProblem(429, 'rate_limited', 'Too many requests', `limit of ${context.max} requests${window} reached; retry in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
      ...(windowMs === undefined ? {} : { windowSeconds: windowMs / 1000 }),
    });
  };
}
