// Revocation marks: `<prefix>auth:revoked:{user:<id>}` in Redis, a set of the user's revoked
// session ids, written by the command that revokes a session before it answers, read with the
// cached account when its entry is missing or dead (cached-accounts.ts). The set outlives every
// access token of its sessions (ttl: the access-token lifetime plus a margin, renewed by each
// revocation); after that rm.sessions alone answers. Both directions are bounded by a timeout and
// never hang on a Redis that is down (no offline queue).

import type { Redis } from 'ioredis';
import { CacheKeys } from '../cache/cache-keys.js';

export interface RevocationMarkStore {
  /** The user's marked sessions; rejects when Redis cannot say (down, slow). */
  marked: (userId: string) => Promise<string[]>;
  /** Marks the session; false when Redis did not take it (the caller then relies on rm.sessions). */
  mark: (userId: string, sessionId: string) => Promise<boolean>;
}

/**
 * Added to the access-token lifetime for a mark's ttl and the window of rm.sessions revocations
 * the guard checks: covers the clock tolerance of token checks, clocks that differ between the
 * API processes and PostgreSQL, and an access token issued by a refresh that raced the revocation
 * (issued just after it).
 */
export const REVOCATION_MARGIN_SECONDS = 60;

export interface RevocationMarkOptions {
  redis: Redis;
  keyPrefix: string;
  ttlSeconds: number;
  /** A read happens on the guard's path (a cache miss): the read cache's bound. */
  readTimeoutMs: number;
  /** A write happens once per revocation, before its answer. */
  writeTimeoutMs: number;
}

export function revocationMarks(deps: RevocationMarkOptions): RevocationMarkStore {
  const keys = new CacheKeys(deps.keyPrefix);
  return {
    marked: (userId) => bounded(deps.redis.smembers(keys.revokedSessionMarks(userId)), deps.readTimeoutMs),
    mark: async (userId, sessionId) => {
      const key = keys.revokedSessionMarks(userId);
      try {
        const results = await bounded(deps.redis.multi().sadd(key, sessionId).expire(key, deps.ttlSeconds).exec(), deps.writeTimeoutMs);
        return results !== null && results.every(([err]) => !err);
      } catch {
        return false;
      }
    },
  };
}

function bounded<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    command,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis took more than ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
