// Revocation marks: `<prefix>auth:revoked:{session:<sid>}` in Redis, written by the command that
// revokes a session before it answers, read by the session check when its cached verdict is
// missing or dead (cached-sessions.ts). A mark outlives every access token of its session (ttl:
// the access-token lifetime plus a margin); after that rm.sessions alone answers. Both directions
// are bounded by a timeout and never hang on a Redis that is down (no offline queue).

import type { Redis } from 'ioredis';
import { CacheKeys } from '../cache/cache-keys.js';

export interface RevocationMarkStore {
  /** Whether the session is marked; rejects when Redis cannot say (down, slow). */
  isMarked: (sessionId: string) => Promise<boolean>;
  /** Marks the session; false when Redis did not take it (the caller then relies on rm.sessions). */
  mark: (sessionId: string) => Promise<boolean>;
}

/**
 * Added to the access-token lifetime for a mark's ttl: covers the clock tolerance of token checks
 * and an access token issued by a refresh that raced the revocation (issued just after it).
 */
export const REVOCATION_MARK_MARGIN_SECONDS = 60;

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
    isMarked: async (sessionId) => (await bounded(deps.redis.exists(keys.sessionRevokedMark(sessionId)), deps.readTimeoutMs)) === 1,
    mark: async (sessionId) => {
      try {
        return (await bounded(deps.redis.set(keys.sessionRevokedMark(sessionId), '1', 'EX', deps.ttlSeconds), deps.writeTimeoutMs)) === 'OK';
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
