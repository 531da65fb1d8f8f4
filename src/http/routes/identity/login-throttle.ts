// Throttling of failed logins, in Redis, so that guessing is slow but a stranger cannot lock the
// owner out of their account:
//   - per (account, client): after `perClient` failures within 15 minutes THIS client gets 429
//     for this account (client = the request's IP, as fastify reports it under its trustProxy
//     setting); other clients are not affected;
//   - per account, the backstop against guessing from many clients: after `backstop` failures
//     from anywhere within 15 minutes the account takes logins only from clients that logged in
//     to it successfully within the last 30 days (`known` clients, remembered per account); every
//     other client gets 429 until the window ends. The owner's usual client keeps working;
//     a distributed attacker still gets at most `backstop` guesses per window.
// A success from a client clears that client's failures. Each check and each record is one round
// trip. Redis down: logins are not throttled (the per-IP limit still applies where it can) and the
// failure is logged; refusing every login because the cache is down would be worse.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { normaliseEmail } from '../../../domain/identity/email-claim.js';
import { HttpProblem } from '../../problem.js';

const WINDOW_MS = 15 * 60 * 1000;
const KNOWN_CLIENT_MS = 30 * 24 * 3600 * 1000;

export interface LoginThrottleLimits {
  /** Failures per (account, client) per window before that client gets 429 (AUTH_FAILED_LOGINS_PER_ACCOUNT). */
  perClient: number;
  /** Failures per account per window, from all clients, before only known clients may try (AUTH_FAILED_LOGINS_BACKSTOP). */
  backstop: number;
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limits: LoginThrottleLimits,
    private readonly logger: Logger,
  ) {}

  private keys(email: string, client: string) {
    const account = hash(normaliseEmail(email));
    // One hash tag per account: the keys of one check share a slot.
    const base = `${this.keyPrefix}v1:login-failures:{${account}}`;
    const c = hash(client);
    return { perClient: `${base}:client:${c}`, account: base, known: `${this.keyPrefix}v1:login-known:{${account}}:${c}` };
  }

  /** Throws 429 when this client may not try this account now. */
  async check(email: string, client: string): Promise<void> {
    const k = this.keys(email, client);
    try {
      const results = await this.redis.multi().get(k.perClient).pttl(k.perClient).get(k.account).pttl(k.account).exists(k.known).exec();
      if (!results || results.some(([err]) => err)) throw results?.find(([err]) => err)?.[0] ?? new Error('login throttle transaction discarded');
      const [clientCount, clientTtl, accountCount, accountTtl, known] = results.map(([, value]) => value) as [string | null, number, string | null, number, number];
      if (clientCount !== null && Number(clientCount) >= this.limits.perClient) {
        throw tooMany(clientTtl, 'too many failed logins for this account from this client; wait and retry');
      }
      if (accountCount !== null && Number(accountCount) >= this.limits.backstop && known !== 1) {
        throw tooMany(accountTtl, 'too many failed logins for this account; for now only clients it logged in from before may try');
      }
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      this.logger.warn({ err: (err as Error).message }, 'login throttle unavailable (Redis)');
    }
  }

  async recordFailure(email: string, client: string): Promise<void> {
    const k = this.keys(email, client);
    try {
      // The window starts with the first failure (NX: later ones do not extend it).
      await this.redis.multi().incr(k.perClient).pexpire(k.perClient, WINDOW_MS, 'NX').incr(k.account).pexpire(k.account, WINDOW_MS, 'NX').exec();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'login throttle unavailable (Redis)');
    }
  }

  /** A correct password from this client: its failures are forgiven, and it is known from now on. */
  async recordSuccess(email: string, client: string): Promise<void> {
    const k = this.keys(email, client);
    try {
      await this.redis.multi().del(k.perClient).set(k.known, '1', 'PX', KNOWN_CLIENT_MS).exec();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'login throttle unavailable (Redis)');
    }
  }
}

function tooMany(ttlMs: number, detail: string): HttpProblem {
  const retryAfterSeconds = Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : WINDOW_MS) / 1000));
  return new HttpProblem(429, 'too_many_login_attempts', 'Too many requests', detail, { retryAfterSeconds });
}
