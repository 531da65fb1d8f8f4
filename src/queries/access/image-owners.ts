// Who the data subject of an image is (its owner, on ImageUploaded), for reads that show an image's
// faces without its row: the audit feed's ImageAnalyzed events. Read through the port (the first
// event of `image-<id>`), so it works on either store and for images no read model holds yet. An
// image's owner never changes, so answers are kept (bounded LRU) for good.

import { LRUCache } from 'lru-cache';
import type { EventStore } from '../../eventstore/types.js';

export class ImageOwners {
  private readonly known = new LRUCache<string, string>({ max: 100_000 });

  constructor(private readonly store: Pick<EventStore, 'readStream'>) {}

  /** The owner of each image (an image whose stream does not start with ImageUploaded is left out). */
  async of(imageIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(imageIds)) {
      const owner = this.known.get(id);
      if (owner) out.set(id, owner);
      else missing.push(id);
    }
    await Promise.all(
      missing.map(async (id) => {
        for await (const e of this.store.readStream(`image-${id}`, { maxCount: 1 })) {
          const ownerId = (e.data as { ownerId?: unknown }).ownerId;
          if (e.type === 'ImageUploaded' && typeof ownerId === 'string') {
            this.known.set(id, ownerId);
            out.set(id, ownerId);
          }
        }
      }),
    );
    return out;
  }
}
