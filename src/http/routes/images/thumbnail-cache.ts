// Resized bytes kept in this process, keyed by content (sha256), size and format, bounded by their
// total bytes (least recently used out first). Concurrent misses of one key share one resize.
// The cache knows nothing about who may see what: the route consults it only after the image's
// existence and the caller's right to it are checked, so an erased or deleted image is a 404 and
// its bytes here are simply never asked for again (and age out).

import { LRUCache } from 'lru-cache';
import type { Thumbnail, ThumbnailFormat } from '../../../inference/thumbnail.js';

export class ThumbnailCache {
  private readonly lru: LRUCache<string, Thumbnail>;
  private readonly making = new Map<string, Promise<Thumbnail | undefined>>();

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Thumbnail>({ maxSize: maxBytes, sizeCalculation: (t) => Math.max(1, t.data.length) });
  }

  static key(sha256: string, size: number, format: ThumbnailFormat): string {
    return `${sha256}:${size}:${format}`;
  }

  /** The cached thumbnail (hit: true), or the one `make` returns, cached (undefined: nothing to cache). */
  async get(key: string, make: () => Promise<Thumbnail | undefined>): Promise<{ thumbnail: Thumbnail | undefined; hit: boolean }> {
    const cached = this.lru.get(key);
    if (cached) return { thumbnail: cached, hit: true };
    let pending = this.making.get(key);
    if (!pending) {
      pending = make().then((t) => {
        if (t) this.lru.set(key, t);
        return t;
      });
      this.making.set(key, pending);
      void pending.then(
        () => this.making.delete(key),
        () => this.making.delete(key),
      );
    }
    return { thumbnail: await pending, hit: false };
  }

  /** Bytes held now (for tests and the bench). */
  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
