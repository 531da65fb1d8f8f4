// After-commit hook of the images read model: bumps the generation of every image the batch
// touched, of its owner's gallery and of the 'all' gallery, in one Redis round trip, so no entry
// written before (or by a reader racing) the commit is read again. Owners come from rm.images in
// one query (deleted images keep their row; an erased image's owner comes from its ImageErased).
// If Redis cannot be reached the keys are kept and bumped with the next batch or by a retry every second (bounded; past the bound the TTL is the
// safety net), and readers that pass consistentWith are protected by the entries' stamps anyway.

import type pg from 'pg';
import type { RecordedEvent } from '../../eventstore/types.js';
import { CacheKeys } from '../cache/cache-keys.js';
import { generationBumper, type GenerationBumperDeps } from '../cache/generation-bumper.js';
import { cachePurger } from '../cache/purge-entries.js';

const IMAGE_STREAM = /^image-([0-9a-f-]{36})$/;
/** Events after which an image's cached content (faces, filename) must be gone, not just stale. */
const ERASURE_FACTS = new Set(['ImageErased', 'ImageFacesErased']);

export interface ImageCacheInvalidationDeps extends GenerationBumperDeps {
  pool: pg.Pool;
  keyPrefix: string;
}

export function imageCacheInvalidation(deps: ImageCacheInvalidationDeps) {
  const keys = new CacheKeys(deps.keyPrefix);
  const bump = generationBumper(deps);
  const purge = cachePurger({ redis: deps.redis, logger: deps.logger, keyPrefix: deps.keyPrefix });

  return async function invalidateImages(projection: string, events: readonly RecordedEvent[]): Promise<void> {
    if (projection !== 'images') return;
    const ids = [...new Set(events.map((e) => IMAGE_STREAM.exec(e.stream)?.[1]).filter((id): id is string => id !== undefined))];
    const { rows } = ids.length === 0 ? { rows: [] } : await deps.pool.query<{ owner_id: string }>('select distinct owner_id::text as owner_id from rm.images where image_id = any($1::uuid[])', [ids]);
    // An erased image's row is gone by now: its event names the owner whose gallery showed it.
    const erasedOwners = events.filter((e) => e.type === 'ImageErased').map((e) => (e.data as { ownerId: string }).ownerId);
    const owners = new Set([...rows.map((r) => r.owner_id), ...erasedOwners]);
    await bump([...ids.map((id) => keys.imageGen(id)), ...[...owners].map((o) => keys.galleryGen(o)), keys.galleryGen('all')]);
    // Erased content must not wait in Redis for its TTL: delete the entries of every generation.
    const erased = events.filter((e) => ERASURE_FACTS.has(e.type));
    if (erased.length > 0) {
      const erasedIds = [...new Set(erased.map((e) => IMAGE_STREAM.exec(e.stream)?.[1]).filter((id): id is string => id !== undefined))];
      await purge([...erasedIds.map((id) => `img:${id}`), ...[...owners].map((o) => `gallery:${o}`), 'gallery:all']);
    }
  };
}
