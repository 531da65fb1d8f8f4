// Redis out of reach, said once per outage for the whole process: the runtime's client, the read
// cache, live notifications, the job bridge and the workers all hold connections of their own,
// and each would otherwise log the same ECONNREFUSED. The first report of an outage is logged
// (naming the server and REDIS_URL), the others are dropped until a connection is ready again.

import type { Logger } from 'pino';

let down = false;

/** host:port of a redis:// URL (without the credentials). */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || '127.0.0.1'}:${u.port || '6379'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** One component's Redis error: logged when it is the first of an outage, dropped otherwise. */
export function reportRedisError(logger: Pick<Logger, 'warn'>, component: string, err: Error): void {
  if (down) return;
  down = true;
  logger.warn({ err: err.message, component }, `Redis out of reach (${component}): ${err.message}; retrying in the background`);
}

/** The outage is known (e.g. told at start-up already): later errors are not logged until a connection is ready. */
export function noteRedisDown(): void {
  down = true;
}

/** A connection is ready again; true when that ends an outage (the caller logs the recovery). */
export function noteRedisReady(): boolean {
  const was = down;
  down = false;
  return was;
}
