// The thumbnail cache (src/http/routes/images/thumbnail-cache.ts): bounded by bytes, least
// recently used out first, one resize for concurrent misses of a key, failures not cached.

import { describe, expect, it } from 'vitest';
import { ThumbnailCache } from '../../../src/http/routes/images/thumbnail-cache.js';
import type { Thumbnail } from '../../../src/inference/thumbnail.js';

const thumbnail = (bytes: number): Thumbnail => ({ data: Buffer.alloc(bytes), contentType: 'image/webp', width: 1, height: 1 });

describe('ThumbnailCache', () => {
  it('keeps at most its byte budget, dropping the least recently used', async () => {
    const cache = new ThumbnailCache(1000);
    for (const key of ['a', 'b', 'c']) await cache.get(key, () => Promise.resolve(thumbnail(400)));
    expect(cache.bytes).toBe(800);
    expect((await cache.get('c', () => Promise.resolve(thumbnail(400)))).hit).toBe(true);
    expect((await cache.get('a', () => Promise.resolve(thumbnail(400)))).hit).toBe(false);
    expect(cache.bytes).toBeLessThanOrEqual(1000);
  });

  it('makes a key once for concurrent misses, and does not cache a failure or an absence', async () => {
    const cache = new ThumbnailCache(10_000);
    let made = 0;
    const make = async () => {
      made++;
      await new Promise((r) => setImmediate(r));
      return thumbnail(10);
    };
    const answers = await Promise.all([cache.get('k', make), cache.get('k', make), cache.get('k', make)]);
    expect(made).toBe(1);
    expect(answers.map((a) => a.hit)).toEqual([false, false, false]);
    expect((await cache.get('k', make)).hit).toBe(true);

    await expect(cache.get('bad', () => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    expect((await cache.get('bad', () => Promise.resolve(thumbnail(5)))).hit).toBe(false);
    expect((await cache.get('gone', () => Promise.resolve(undefined))).thumbnail).toBeUndefined();
    expect((await cache.get('gone', () => Promise.resolve(thumbnail(5)))).hit).toBe(false);
  });

  it('keys by content, size and format', () => {
    expect(ThumbnailCache.key('ab', 256, 'webp')).not.toBe(ThumbnailCache.key('ab', 256, 'jpeg'));
    expect(ThumbnailCache.key('ab', 256, 'webp')).not.toBe(ThumbnailCache.key('ab', 128, 'webp'));
  });
});
