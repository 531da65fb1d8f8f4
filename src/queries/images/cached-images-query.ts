// ImagesQuery behind the Redis read cache: a drop-in subclass (REST and GraphQL use it the same
// way) whose list/get/faces take an optional `{ consistentWith }` — the position the answer must
// be at least as new as. Entries are cached per image id (the image and its faces, descriptors as
// a separate variant) and per gallery scope (the owner's id, or 'all' for admins and auditors);
// who may see what is decided after the fetch, on every read, exactly as without the cache.
// Without a ReadCache (READ_CACHE=off) every read goes to PostgreSQL as before.

import type pg from 'pg';
import { START, type Position } from '../../eventstore/position.js';
import type { FieldOpener } from '../../privacy/sealing-event-store.js';
import type { LocalEventData } from '../../eventstore/types.js';
import { readCheckpoint } from '../../checkpoints/checkpoints.js';
import type { Viewer } from '../../domain/identity/viewer.js';
import { maySeeImage, seesEveryImage } from '../../domain/images/visibility.js';
import { ImagesQuery, type FaceView, type ImageListOptions, type ImagePage, type ImageView } from './images-query.js';
import type { CacheDependencies, CacheDependency, ReadCache, Stamped } from '../cache/read-cache.js';

export interface ReadOptions {
  /** The answer must reflect at least this position (a command's response position). */
  consistentWith?: Position | undefined;
  /** Collects the cache entries the answer was made from (the GraphQL response memo). */
  dependencies?: CacheDependencies | undefined;
}

export type ImageWithFaces = ImageView & { faces: FaceView[] };

interface ImageEntry {
  image: ImageView;
  faces: FaceView[];
}

/** The read model whose checkpoint stamps cached entries. */
const PROJECTION = 'images';
/** Loads for the cache are not a viewer's reads: visibility is checked when they are served. */
const LOADER: Viewer = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin' };

/**
 * An entry's image and faces as one object, made once per entry: cache entries are frozen and
 * shared, so this one is too, and callers may keep things per object (the REST body).
 */
const joinedEntries = new WeakMap<ImageEntry, ImageWithFaces>();
function joined(entry: ImageEntry): ImageWithFaces {
  let out = joinedEntries.get(entry);
  if (!out) {
    out = Object.isFrozen(entry) ? Object.freeze({ ...entry.image, faces: entry.faces }) : { ...entry.image, faces: entry.faces };
    joinedEntries.set(entry, out);
  }
  return out;
}

/** A read not made of cache entries: nothing built from it may be memoised. */
function untracked<T>(read: ReadOptions, answer: T): T {
  read.dependencies?.untracked();
  return answer;
}

export class CachedImagesQuery extends ImagesQuery {
  constructor(
    private readonly db: pg.Pool,
    private readonly cache: ReadCache | undefined,
    localData: LocalEventData | undefined,
    opener?: Pick<FieldOpener, 'openValues'>,
  ) {
    super(db, localData, opener);
  }

  override async list(viewer: Viewer, opts: ImageListOptions, read: ReadOptions = {}): Promise<ImagePage> {
    if (!this.cache) return untracked(read, super.list(viewer, opts));
    const scope = seesEveryImage(viewer) ? 'all' : viewer.userId;
    const selector = [opts.status ?? null, opts.uploadedFrom ?? null, opts.uploadedTo ?? null, opts.ordering ?? null, opts.cursor ?? null, opts.limit];
    const page = await this.cache.through<ImagePage>(
      'gallery',
      this.cache.keys.galleryPage(scope, selector),
      read.consistentWith,
      async () => {
        const stamp = await this.stamp();
        return { stamp, value: await super.list(viewer, opts) };
      },
      read.dependencies,
    );
    return page!;
  }

  override async get(viewer: Viewer, imageId: string, read: ReadOptions = {}): Promise<ImageView | undefined> {
    if (!this.cache) return untracked(read, super.get(viewer, imageId));
    const entry = await this.entry(imageId, 'plain', read);
    return entry && maySeeImage(viewer, entry.image) ? entry.image : undefined;
  }

  /** Like ImagesQuery.faces, no visibility check (callers have done `get` first). */
  override async faces(imageId: string, includeDescriptor: boolean, read: ReadOptions = {}): Promise<FaceView[]> {
    if (!this.cache) return untracked(read, super.faces(imageId, includeDescriptor));
    return (await this.entry(imageId, includeDescriptor ? 'descriptor' : 'plain', read))?.faces ?? [];
  }

  /**
   * The faces of many images (GraphQL loaders) from their cached entries, in one Redis round trip;
   * the images not cached (or older than `consistentWith`) in ONE PostgreSQL query, then cached.
   * No visibility check, like the base method (callers have the images already).
   */
  override async facesOf(imageIds: readonly string[], includeDescriptor: boolean, read: ReadOptions = {}): Promise<Map<string, FaceView[]>> {
    if (!this.cache) return untracked(read, super.facesOf(imageIds, includeDescriptor));
    const cache = this.cache;
    const variant = includeDescriptor ? 'descriptor' : 'plain';
    const entries = await cache.throughMany<ImageEntry>(
      'image',
      imageIds.map((id) => cache.keys.image(id, variant)),
      read.consistentWith,
      async (indexes) => {
        const ids = indexes.map((i) => imageIds[i]!);
        const stamp = await this.stamp();
        const [snapshots, faces] = await Promise.all([this.snapshots(ids), super.facesOf(ids, includeDescriptor)]);
        const byId = new Map(snapshots.map((s) => [s.image.imageId, s]));
        const loaded = new Map<number, Stamped<ImageEntry> & { cache: boolean }>();
        for (const i of indexes) {
          const snapshot = byId.get(imageIds[i]!);
          // Deleted images are answered but not cached (as in `entry`); unknown ones have no faces.
          if (snapshot) loaded.set(i, { stamp, value: { image: snapshot.image, faces: faces.get(snapshot.image.imageId) ?? [] }, cache: !snapshot.deleted });
        }
        return loaded;
      },
      read.dependencies,
    );
    return new Map(imageIds.map((id, i) => [id, entries[i]?.faces ?? []]));
  }

  /** The image and its faces in one cache read; undefined if the viewer may not see it. */
  async getWithFaces(viewer: Viewer, imageId: string, includeDescriptor: boolean, read: ReadOptions = {}): Promise<ImageWithFaces | undefined> {
    if (!this.cache) {
      read.dependencies?.untracked();
      const image = await super.get(viewer, imageId);
      return image && { ...image, faces: await super.faces(imageId, includeDescriptor) };
    }
    const entry = await this.entry(imageId, includeDescriptor ? 'descriptor' : 'plain', read);
    return entry && maySeeImage(viewer, entry.image) ? joined(entry) : undefined;
  }

  private entry(imageId: string, variant: 'plain' | 'descriptor', read: ReadOptions): Promise<ImageEntry | undefined> {
    const cache = this.cache!;
    return cache.through<ImageEntry>('image', cache.keys.image(imageId, variant), read.consistentWith, async (): Promise<Stamped<ImageEntry> | undefined> => {
      const stamp = await this.stamp();
      const image = await super.get(LOADER, imageId);
      if (!image) return undefined; // not found is not cached: the next read asks PostgreSQL again
      return { stamp, value: { image, faces: await super.faces(imageId, variant === 'descriptor') } };
    }, read.dependencies);
  }

  /** Whether answers made from these entries would still be made the same (false without a cache). */
  stillCurrent(dependencies: readonly CacheDependency[]): Promise<boolean> {
    return this.cache ? this.cache.stillCurrent(dependencies) : Promise.resolve(false);
  }

  /** Reads can be tracked for the response memo (the read cache is on). */
  get tracksDependencies(): boolean {
    return this.cache !== undefined;
  }

  /**
   * The images projection's checkpoint, read BEFORE the data: the projector commits rows and
   * checkpoint in one transaction and the checkpoint only moves forward, so data read afterwards
   * is at least as new as this stamp (a lower bound — the safe direction for consistentWith).
   */
  private async stamp(): Promise<Position> {
    return (await readCheckpoint(this.db, PROJECTION)) ?? START;
  }
}
