// Every owner's galleries (one per model), loaded from the face index on first search and kept in
// step with it (src/projections/recognition/tables.ts): each search reads the owner's counters —
// one primary-key lookup — and loads only the rows added since (`ord`), or the owner again once a
// face has left (a re-analysis, deletion or erasure). Descriptors are opened with the image keys
// (one key lookup for all); a face whose key is shredded is left out (its row goes with the
// erasure's event). Galleries not searched lately are dropped once more than `maxFaces` are held.

import type pg from 'pg';
import type { DataKeys } from '../../eventstore/types.js';
import { descriptorAad, DESCRIPTOR_LENGTH, readDescriptorInto } from '../../projections/recognition/tables.js';
import { FaceGallery } from './face-gallery.js';

interface OwnerGalleries {
  added: number;
  removed: number;
  models: Map<string, FaceGallery>;
  faces: number;
}

export interface FaceGalleriesOptions {
  /** Most faces held in memory across owners (FACE_INDEX_MAX_FACES). */
  maxFaces: number;
}

export class FaceGalleries {
  private readonly owners = new Map<string, OwnerGalleries>();
  private readonly loading = new Map<string, Promise<OwnerGalleries>>();
  private held = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly dataKeys: Pick<DataKeys, 'openCopies'>,
    private readonly opts: FaceGalleriesOptions,
  ) {}

  /** The owner's galleries as the face index holds them now (at least as of its last commit). */
  async of(ownerId: string): Promise<ReadonlyMap<string, FaceGallery>> {
    // One refresh per owner at a time, each started after the caller arrived (a search that waited
    // for consistentWith must see rows committed before it asked); a failed one does not block the next.
    const previous = this.loading.get(ownerId);
    const run = (previous ? previous.catch(() => undefined) : Promise.resolve()).then(() => this.refresh(ownerId));
    this.loading.set(ownerId, run);
    try {
      return (await run).models;
    } finally {
      if (this.loading.get(ownerId) === run) this.loading.delete(ownerId);
    }
  }

  /** Faces held in memory now (all owners). */
  get heldFaces(): number {
    return this.held;
  }

  private async refresh(ownerId: string): Promise<OwnerGalleries> {
    const { rows } = await this.pool.query<{ added: string; removed: string }>('select added, removed from rm.face_index_owners where owner_id = $1', [ownerId]);
    const counters = rows[0];
    let current = this.owners.get(ownerId);
    if (!counters) {
      if (current) this.forget(ownerId, current);
      return { added: 0, removed: 0, models: new Map(), faces: 0 };
    }
    const added = Number(counters.added);
    const removed = Number(counters.removed);
    if (current && current.removed !== removed) {
      this.forget(ownerId, current);
      current = undefined;
    }
    if (!current) current = { added: 0, removed, models: new Map(), faces: 0 };
    if (current.added < added) await this.load(ownerId, current, added);
    // Most recently used last (Map order), and the bound kept.
    this.owners.delete(ownerId);
    this.owners.set(ownerId, current);
    this.evict(ownerId);
    return current;
  }

  private async load(ownerId: string, into: OwnerGalleries, upTo: number): Promise<void> {
    const { rows } = await this.pool.query<{ face_id: string; image_id: string; model_sha256: string; kid: string; descriptor: Buffer }>(
      `select face_id, image_id, model_sha256, kid, descriptor from rm.face_index
        where owner_id = $1 and ord > $2 and ord <= $3 order by ord, face_no`,
      [ownerId, into.added, upTo],
    );
    const opened = await this.dataKeys.openCopies(rows.map((r) => ({ kid: r.kid, sealed: r.descriptor, aad: descriptorAad(r.face_id) })));
    const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
    for (const [i, row] of rows.entries()) {
      const plain = opened[i];
      if (!plain) continue; // shredded: its erasure removes the row
      readDescriptorInto(plain, descriptor, 0);
      let gallery = into.models.get(row.model_sha256);
      if (!gallery) into.models.set(row.model_sha256, (gallery = new FaceGallery(row.model_sha256)));
      const before = gallery.size;
      gallery.add(row.face_id, row.image_id, descriptor);
      const grown = gallery.size - before;
      into.faces += grown;
      this.held += grown;
    }
    into.added = upTo;
  }

  private forget(ownerId: string, g: OwnerGalleries): void {
    this.owners.delete(ownerId);
    this.held -= g.faces;
  }

  private evict(keep: string): void {
    for (const [ownerId, g] of this.owners) {
      if (this.held <= this.opts.maxFaces) return;
      if (ownerId !== keep) this.forget(ownerId, g);
    }
  }
}
