// Content-addressed image bytes in PostgreSQL (blobs.blobs, keyed by sha256).

import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface Blob {
  sha256: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export class BlobStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores the bytes (once per content) and returns their sha256 (`sha256`: already computed by the caller). */
  async put(data: Buffer, contentType: string, sha256 = sha256Hex(data)): Promise<string> {
    // An existing blob only gets its last_written_at refreshed (keeps the collector away).
    await this.pool.query(
      `insert into blobs.blobs (sha256, content_type, size, data) values ($1, $2, $3, $4)
       on conflict (sha256) do update set last_written_at = now()`,
      [sha256, contentType, data.length, data],
    );
    return sha256;
  }

  async get(sha256: string): Promise<Blob | undefined> {
    const { rows } = await this.pool.query<{ content_type: string; size: number; data: Buffer }>(
      'select content_type, size, data from blobs.blobs where sha256 = $1',
      [sha256],
    );
    const row = rows[0];
    return row ? { sha256, contentType: row.content_type, size: row.size, data: row.data } : undefined;
  }

  /**
   * When the blob is stored, refreshes its last_written_at (as put does; keeps the collector away
   * for the grace period) and returns true, without sending the bytes again.
   */
  async touch(sha256: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('update blobs.blobs set last_written_at = now() where sha256 = $1', [sha256]);
    return (rowCount ?? 0) > 0;
  }

  async exists(sha256: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('select 1 from blobs.blobs where sha256 = $1', [sha256]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Erasure (issue 15): deletes the blobs of `sha256s` that no live image other than `erasedImageIds`
   * references (per rm.images, which may still hold the erased images until their ImageErased is
   * projected). Returns the deleted sha256s; a blob another live image shows stays.
   */
  async deleteUnused(sha256s: readonly string[], erasedImageIds: readonly string[]): Promise<string[]> {
    if (sha256s.length === 0) return [];
    const { rows } = await this.pool.query<{ sha256: string }>(
      `delete from blobs.blobs b
        where b.sha256 = any($1::text[])
          and not exists (select 1 from rm.images i where i.sha256 = b.sha256 and i.deleted_at is null and i.image_id <> all($2::uuid[]))
       returning b.sha256`,
      [[...new Set(sha256s)], [...erasedImageIds]],
    );
    return rows.map((r) => r.sha256);
  }

  /**
   * Deletes blobs no live image references (per rm.images) that were last written before the
   * grace period. Returns the deleted sha256s.
   */
  async collectOrphans(graceSeconds: number, limit = 1000): Promise<string[]> {
    const { rows } = await this.pool.query<{ sha256: string }>(
      `delete from blobs.blobs b
        where b.sha256 in (
          select o.sha256 from blobs.blobs o
           where o.last_written_at < now() - make_interval(secs => $1)
             and not exists (select 1 from rm.images i where i.sha256 = o.sha256 and i.deleted_at is null)
           limit $2)
       returning b.sha256`,
      [graceSeconds, limit],
    );
    return rows.map((r) => r.sha256);
  }
}
