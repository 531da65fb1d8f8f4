// Redis key layout of the read cache. Generation keys are shared by every version of the code (so
// an old and a new deployment invalidate each other's entries); data keys carry SCHEMA_VERSION, so
// a deployment whose cached shape differs never reads entries written by another. Each image's
// keys and each gallery scope's keys share a hash tag ({img:…}, {gallery:…}): the read script
// touches its generation and its data in one slot.

import { createHash } from 'node:crypto';

/** Bump when the shape of a cached value changes. */
export const CACHE_SCHEMA_VERSION = 2;

/** What a cached read was for (the metrics label); 'graphql' is the GraphQL response memo. */
export type CacheName = 'image' | 'gallery' | 'account' | 'graphql';

export interface CacheKey {
  /** The generation counter the data key depends on. */
  gen: string;
  /** The data key is `${dataPrefix}${generation}${dataSuffix}`. */
  dataPrefix: string;
  dataSuffix: string;
}

export class CacheKeys {
  constructor(private readonly prefix: string) {}

  imageGen(imageId: string): string {
    return `${this.prefix}cache:gen:{img:${imageId}}`;
  }

  /** One image with its faces; `variant` 'plain' or 'descriptor'. */
  image(imageId: string, variant: 'plain' | 'descriptor'): CacheKey {
    return { gen: this.imageGen(imageId), dataPrefix: `${this.prefix}cache:v${CACHE_SCHEMA_VERSION}:{img:${imageId}}:g`, dataSuffix: `:${variant}` };
  }

  userGen(userId: string): string {
    return `${this.prefix}cache:gen:{user:${userId}}`;
  }

  /**
   * A user's current role and status and recently revoked sessions, as the auth guard needs them
   * on every request. (Suffix `:access`: the entry without the revoked sessions was `:account`,
   * which this code must never read.)
   */
  account(userId: string): CacheKey {
    return { gen: this.userGen(userId), dataPrefix: `${this.prefix}cache:v${CACHE_SCHEMA_VERSION}:{user:${userId}}:g`, dataSuffix: ':access' };
  }

  /** The sessions of a user the commands that revoked them marked (a set; not under a generation: a revocation is final). */
  revokedSessionMarks(userId: string): string {
    return `${this.prefix}auth:revoked:{user:${userId}}`;
  }

  /** `scope`: the owner's id, or 'all' for the listings of admins and auditors. */
  galleryGen(scope: string): string {
    return `${this.prefix}cache:gen:{gallery:${scope}}`;
  }

  /** One page of a gallery: everything that selects the page is in the key's hash. */
  galleryPage(scope: string, selector: unknown): CacheKey {
    const hash = createHash('sha256').update(JSON.stringify(selector)).digest('base64url').slice(0, 22);
    return { gen: this.galleryGen(scope), dataPrefix: `${this.prefix}cache:v${CACHE_SCHEMA_VERSION}:{gallery:${scope}}:g`, dataSuffix: `:${hash}` };
  }
}
