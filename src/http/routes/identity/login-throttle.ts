// Per-account throttling of failed logins, in Redis. Redis down: logins are not throttled per
// account (the per-IP limit still applies where it can) and the failure is logged.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { normaliseEmail } from '../../../domain/identity/email-claim.js';
import { HttpProblem } from '../../problem.js';

const WINDOW_MS = 15 * 60 * 1000;

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly maxFailures: number,
    private readonly logger: Logger,
  ) {}

  private key(email: string): string {
    return `${this.keyPrefix}v1:login-failures:${createHash('sha256').update(normaliseEmail(email)).digest('hex')}`;
  }

  /** Throws 429 when the account has too many recent failures. */
  async check(email: string): Promise<void> {
    try {
      const [count, ttl] = await Promise.all([this.redis.get(this.key(email)), this.redis.pttl(this.key(email))]);
      if (count !== null && Number(count) >= this.maxFailures) {
        const retryAfterSeconds = Math.max(1, Math.ceil((ttl > 0 ? ttl : WINDOW_MS) / 1000));
        throw new HttpProblem(429, 'too_many_login_attempts', 'Too many requests', 'too many failed logins for this account; wait and retry', { retryAfterSeconds });
      }
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      this.logger.warn({ err: (err as Error).message }, 'login throttle unavailable (Redis)');
    }
  }

  async recordFailure(email: string): Promise<void> {
    try {
      const key = this.key(email);
      const n = await this.redis.incr(key);
      if (n === 1) await this.redis.pexpire(key, WINDOW_MS);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'login throttle unavailable (Redis)');
    }
  }
}
