// Per-user upload rate limit: a fixed one-minute window counted in Redis (one script: INCR, expiry
// on the first hit, the time left), so it holds across every API process of a deployment. Over
// the limit: 429 `upload_rate_limited` with Retry-After (the window's remaining seconds). Redis
// down or slow: uploads are not limited (logged at most every 30 s), as for the login throttle.

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { HttpProblem } from '../../problem.js';

const WINDOW_MS = 60_000;
const COUNT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

export class UploadRateLimit {
  private lastLogged = 0;

  constructor(
    private readonly redis: Pick<Redis, 'eval'>,
    private readonly keyPrefix: string,
    private readonly perMinute: number,
    private readonly logger: Logger,
  ) {}

  /** Counts one upload of `userId`; throws 429 when the user is over the limit this minute. */
  async take(userId: string): Promise<void> {
    let count: number;
    let ttlMs: number;
    try {
      [count, ttlMs] = (await this.redis.eval(COUNT, 1, `${this.keyPrefix}v1:upload-rate:${userId}`, WINDOW_MS)) as [number, number];
    } catch (err) {
      if (Date.now() - this.lastLogged > 30_000) {
        this.lastLogged = Date.now();
        this.logger.warn({ err: (err as Error).message }, 'upload rate limit unavailable (Redis); uploads are not limited');
      }
      return;
    }
    if (count > this.perMinute) {
      throw new HttpProblem(429, 'upload_rate_limited', 'Too many requests', `at most ${this.perMinute} uploads per minute; retry later`, {
        retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
      });
    }
  }
}
