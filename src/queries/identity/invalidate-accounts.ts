// Invalidation hook of the users read model for the cached accounts (cached-accounts.ts): bumps
// the generation of every user whose stream the batch touched. Registered both before the commit
// (inside the projector's transaction) and after it; see cached-accounts.ts for why.

import type { RecordedEvent } from '../../eventstore/types.js';
import { CacheKeys } from '../cache/cache-keys.js';
import { generationBumper, type GenerationBumperDeps } from '../cache/generation-bumper.js';

const USER_STREAM = /^user-([0-9a-f-]{36})$/;

export function accountCacheInvalidation(deps: GenerationBumperDeps & { keyPrefix: string }) {
  const keys = new CacheKeys(deps.keyPrefix);
  const bump = generationBumper(deps);
  return async function invalidateAccounts(projection: string, events: readonly RecordedEvent[]): Promise<void> {
    if (projection !== 'users') return;
    const ids = new Set(events.map((e) => USER_STREAM.exec(e.stream)?.[1]).filter((id): id is string => id !== undefined));
    await bump([...ids].map((id) => keys.userGen(id)));
  };
}
