// Invalidation hook of the sessions read model for the cached session checks (cached-sessions.ts):
// bumps the generation of every session the batch revoked (nothing else changes the verdict).
// Registered before the commit and after it, like the accounts' (see cached-accounts.ts).

import type { RecordedEvent } from '../../eventstore/types.js';
import { CacheKeys } from '../cache/cache-keys.js';
import { generationBumper, type GenerationBumperDeps } from '../cache/generation-bumper.js';

const SESSION_STREAM = /^session-([0-9a-f-]{36})$/;

export function sessionCacheInvalidation(deps: GenerationBumperDeps & { keyPrefix: string }) {
  const keys = new CacheKeys(deps.keyPrefix);
  const bump = generationBumper(deps);
  return async function invalidateSessions(projection: string, events: readonly RecordedEvent[]): Promise<void> {
    if (projection !== 'sessions') return;
    const ids = new Set(events.filter((e) => e.type === 'SessionRevoked').map((e) => SESSION_STREAM.exec(e.stream)?.[1]).filter((id): id is string => id !== undefined));
    await bump([...ids].map((id) => keys.sessionGen(id)));
  };
}
