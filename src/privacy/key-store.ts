// The data keys of crypto-shredding, in PostgreSQL (schema `keys`, migration 0012), each wrapped
// under a key-encryption key (kek.ts). One live key per (subject, purpose) or (image, purpose) seals
// new data; every key ever used stays addressable by its id (the envelope's kid) until shredded.
// Shredding nulls the wrapped copy in one transaction and tells every process (NOTIFY) to drop its
// cached copy; the row stays as the fact that the key existed and was shredded, and by which erasure.

import { randomBytes, randomUUID, createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { PgListener } from '../db/pg-listener.js';
import { DATA_KEY_BYTES, open, seal } from './aead.js';
import type { KeyPurpose, KeySelector } from './declarations.js';
import { ConsentWithdrawnError, NoLiveKeyError, SubjectErasedError } from './errors.js';
import type { KekRing } from './kek.js';

export const KEYS_CHANNEL = 'facetrail_keys';
const CONSENT_PURPOSES: ReadonlySet<KeyPurpose> = new Set(['face_analysis', 'face_recognition']);

/** A new key's scope: a subject's, or an image's under its owner. */
export interface KeyScope {
  purpose: KeyPurpose;
  subjectId: string;
  imageId?: string | undefined;
  /**
   * For a consent purpose: how many ConsentWithdrawn{purpose} the caller saw on the user stream when
   * it checked the consent. A key is refused when more withdrawals have been recorded since.
   */
  consentWithdrawals?: number;
}

/** What an erasure shreds: every key of a subject, a subject's keys for one purpose, or an image's keys. */
export type ShredSelector =
  | { subjectId: string; purpose?: undefined; imageId?: undefined }
  | { subjectId: string; purpose: KeyPurpose; imageId?: undefined }
  | { imageId: string; subjectId?: undefined; purpose?: undefined }
  /** One image's keys for a purpose (its faces after the retention period): the image stays, a new analysis gets a new key. */
  | { imageId: string; purpose: KeyPurpose; subjectId?: undefined };

export interface ShreddedKey {
  kid: string;
  purpose: KeyPurpose;
  imageId: string | undefined;
  shreddedAt: Date;
}

export interface KeyStoreOptions {
  /** Most unwrapped data keys kept in memory (PRIVACY_KEY_CACHE_ENTRIES). */
  cacheEntries: number;
  /** How long a cached key is trusted without a shred notice (PRIVACY_KEY_CACHE_TTL_MS): bounds a missed NOTIFY. */
  cacheTtlMs: number;
  /** For the shred notices; without it only this process's own shreds clear its cache (and the TTL). */
  databaseUrl?: string;
  onListenError?: (err: Error) => void;
  now?: () => number;
}

interface CachedKey {
  key: Buffer | null;
  at: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The live key of a scope ($1 the image or subject id, $2 the purpose), with the columns to unwrap it. */
const liveKeySql = (imageScope: boolean) =>
  imageScope
    ? 'select kid::text, kek_id, wrapped from keys.data_keys where image_id = $1 and purpose = $2 and wrapped is not null'
    : 'select kid::text, kek_id, wrapped from keys.data_keys where subject_id = $1 and image_id is null and purpose = $2 and wrapped is not null';

export class KeyStore {
  // LRU with a bound (lru-cache: a Map that evicts its oldest entry on every insert pays for the
  // deleted slots it skips each time, ~10 µs per insert at 10 000 entries: a replay's key misses).
  private readonly cache: LRUCache<string, CachedKey>;
  private readonly live: LRUCache<string, { kid: string; at: number }>;
  private readonly listener: PgListener | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private listening: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly keks: KekRing,
    private readonly opts: KeyStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.cache = new LRUCache({ max: opts.cacheEntries });
    this.live = new LRUCache({ max: opts.cacheEntries });
    if (opts.databaseUrl) {
      this.listener = new PgListener(opts.databaseUrl, KEYS_CHANNEL, opts.onListenError ?? (() => undefined));
      this.listening = this.listen();
    }
  }

  /** Drops every cached key whenever any process shreds (rare; correctness over hit rate). */
  private async listen(): Promise<void> {
    while (!this.abort.signal.aborted) {
      await this.listener!.wait(this.opts.cacheTtlMs, this.abort.signal);
      if (!this.abort.signal.aborted) this.clearCache();
    }
  }

  clearCache(): void {
    this.cache.clear();
    this.live.clear();
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.listening;
    await this.listener?.close();
  }

  /** Creates the live key of `scope` unless there is one; its kid. Refuses for an erased subject/image or a consent withdrawn since it was checked. */
  async ensureKey(scope: KeyScope): Promise<string> {
    assertUuid(scope.subjectId, 'subject id');
    if (scope.imageId !== undefined) assertUuid(scope.imageId, 'image id');
    return this.tx(async (db) => {
      await db.query('insert into keys.subjects (subject_id) values ($1) on conflict do nothing', [scope.subjectId]);
      const subject = (await db.query<{ erased_at: Date | null }>('select erased_at from keys.subjects where subject_id = $1 for share', [scope.subjectId])).rows[0]!;
      if (subject.erased_at) throw new SubjectErasedError(`user ${scope.subjectId}`);
      if (CONSENT_PURPOSES.has(scope.purpose) && scope.consentWithdrawals !== undefined) {
        const { rows } = await db.query<{ n: number }>('select count(*)::int as n from keys.withdrawals where subject_id = $1 and purpose = $2', [scope.subjectId, scope.purpose]);
        if ((rows[0]?.n ?? 0) > scope.consentWithdrawals) throw new ConsentWithdrawnError(scope.purpose);
      }
      if (scope.imageId !== undefined) {
        await db.query('insert into keys.images (image_id, subject_id) values ($1, $2) on conflict do nothing', [scope.imageId, scope.subjectId]);
        const image = (await db.query<{ subject_id: string; erased_at: Date | null }>('select subject_id, erased_at from keys.images where image_id = $1 for share', [scope.imageId])).rows[0]!;
        if (image.erased_at) throw new SubjectErasedError(`image ${scope.imageId}`);
        if (image.subject_id !== scope.subjectId) throw new Error(`image ${scope.imageId} belongs to another subject`);
      }
      const existing = await db.query<{ kid: string }>(liveKeySql(scope.imageId !== undefined), [scope.imageId ?? scope.subjectId, scope.purpose]);
      if (existing.rows[0]) return existing.rows[0].kid;
      const kid = randomUUID();
      const key = randomBytes(DATA_KEY_BYTES);
      // A concurrent creation for the same scope (racing retries of one upload) may win: then its key is the live one.
      const inserted = await db.query<{ kid: string }>(
        `insert into keys.data_keys (kid, subject_id, image_id, purpose, kek_id, wrapped) values ($1, $2, $3, $4, $5, $6)
         on conflict ${scope.imageId === undefined ? '(subject_id, purpose) where wrapped is not null and image_id is null' : '(image_id, purpose) where wrapped is not null and image_id is not null'} do nothing
         returning kid::text`,
        [kid, scope.subjectId, scope.imageId ?? null, scope.purpose, this.keks.activeKid, this.wrap(kid, key, this.keks.activeKid)],
      );
      if (inserted.rows[0]) return kid;
      const winner = await db.query<{ kid: string }>(liveKeySql(scope.imageId !== undefined), [scope.imageId ?? scope.subjectId, scope.purpose]);
      if (!winner.rows[0]) throw new Error(`no live key for ${scope.imageId ?? scope.subjectId}/${scope.purpose} after a concurrent creation`);
      return winner.rows[0].kid;
    });
  }

  /** The live key new data of `selector` is sealed under. NoLiveKeyError when there is none (never created, or shredded). */
  async liveKey(selector: KeySelector): Promise<{ kid: string; key: Buffer }> {
    const name = selector.imageId !== undefined ? `image:${selector.imageId}:${selector.purpose}` : `subject:${selector.subjectId}:${selector.purpose}`;
    const hit = this.live.get(name);
    if (hit && this.now() - hit.at < this.opts.cacheTtlMs) {
      const key = (await this.keys([hit.kid])).get(hit.kid);
      if (key) return { kid: hit.kid, key };
    }
    const id = selector.imageId ?? selector.subjectId;
    if (!UUID.test(id)) throw new NoLiveKeyError(name);
    const { rows } = await this.pool.query<{ kid: string; kek_id: string; wrapped: Buffer }>(liveKeySql(selector.imageId !== undefined), [id, selector.purpose]);
    const row = rows[0];
    if (!row) throw new NoLiveKeyError(name);
    const key = this.unwrap(row.kid, row.wrapped, row.kek_id);
    this.remember(row.kid, key);
    this.live.set(name, { kid: row.kid, at: this.now() });
    return { kid: row.kid, key };
  }

  /** The unwrapped keys of `kids`: null for a key that is shredded or unknown here. One query for the misses. */
  async keys(kids: readonly string[]): Promise<Map<string, Buffer | null>> {
    const out = new Map<string, Buffer | null>();
    const missing: string[] = [];
    const now = this.now();
    for (const kid of new Set(kids)) {
      const hit = this.cache.get(kid); // most recently used now
      if (hit && now - hit.at < this.opts.cacheTtlMs) {
        out.set(kid, hit.key);
      } else if (UUID.test(kid)) missing.push(kid);
      else out.set(kid, null);
    }
    if (missing.length > 0) {
      // One index lookup per key (`offset 0` keeps the planner from a sequential scan of every key,
      // which it picks for a replay's chunk of ~1 000 kids and which grows with the key table).
      const { rows } = await this.pool.query<{ kid: string; kek_id: string | null; wrapped: Buffer | null }>(
        `select d.kid::text, d.kek_id, d.wrapped
           from unnest($1::uuid[]) as k(kid)
          cross join lateral (select kid, kek_id, wrapped from keys.data_keys where kid = k.kid offset 0) d`,
        [missing],
      );
      const found = new Map(rows.map((r) => [r.kid, r]));
      for (const kid of missing) {
        const row = found.get(kid);
        const key = row?.wrapped && row.kek_id ? this.unwrap(kid, row.wrapped, row.kek_id) : null;
        this.remember(kid, key);
        out.set(kid, key);
      }
    }
    return out;
  }

  /**
   * Shreds the keys `selector` names, for erasure `erasureId`, in one transaction, and marks the
   * scope erased (an account, an image) or the consent withdrawn once more (a purpose) so no new key
   * can be made for it. Idempotent per erasure: a repeat returns the keys this erasure shredded.
   */
  async shred(erasureId: string, selector: ShredSelector): Promise<ShreddedKey[]> {
    assertUuid(erasureId, 'erasure id');
    const rows = await this.tx(async (db) => {
      if (selector.imageId !== undefined) {
        assertUuid(selector.imageId, 'image id');
        const owner = (await db.query<{ subject_id: string }>('select subject_id from keys.images where image_id = $1', [selector.imageId])).rows[0]?.subject_id;
        if (owner) await db.query('select 1 from keys.subjects where subject_id = $1 for share', [owner]);
        if (selector.purpose === undefined) {
          await db.query('update keys.images set erased_at = coalesce(erased_at, now()), erased_by = coalesce(erased_by, $2) where image_id = $1', [selector.imageId, erasureId]);
          await db.query(`update keys.data_keys set wrapped = null, kek_id = null, shredded_at = now(), shredded_by = $2 where image_id = $1 and wrapped is not null`, [selector.imageId, erasureId]);
        } else {
          await db.query('select 1 from keys.images where image_id = $1 for update', [selector.imageId]);
          await db.query(`update keys.data_keys set wrapped = null, kek_id = null, shredded_at = now(), shredded_by = $3 where image_id = $1 and purpose = $2 and wrapped is not null`, [
            selector.imageId,
            selector.purpose,
            erasureId,
          ]);
        }
      } else {
        assertUuid(selector.subjectId, 'subject id');
        await db.query('insert into keys.subjects (subject_id) values ($1) on conflict do nothing', [selector.subjectId]);
        await db.query('select 1 from keys.subjects where subject_id = $1 for update', [selector.subjectId]);
        if (selector.purpose === undefined) {
          await db.query('update keys.subjects set erased_at = coalesce(erased_at, now()), erased_by = coalesce(erased_by, $2) where subject_id = $1', [selector.subjectId, erasureId]);
          await db.query('update keys.images set erased_at = coalesce(erased_at, now()), erased_by = coalesce(erased_by, $2) where subject_id = $1', [selector.subjectId, erasureId]);
          await db.query(`update keys.data_keys set wrapped = null, kek_id = null, shredded_at = now(), shredded_by = $2 where subject_id = $1 and wrapped is not null`, [selector.subjectId, erasureId]);
        } else {
          // Counted once per erasure: a repeated shred of the same withdrawal does not count again.
          await db.query('insert into keys.withdrawals (erasure_id, subject_id, purpose) values ($1, $2, $3) on conflict do nothing', [erasureId, selector.subjectId, selector.purpose]);
          await db.query(`update keys.data_keys set wrapped = null, kek_id = null, shredded_at = now(), shredded_by = $3 where subject_id = $1 and purpose = $2 and wrapped is not null`, [
            selector.subjectId,
            selector.purpose,
            erasureId,
          ]);
        }
      }
      await db.query(`select pg_notify('${KEYS_CHANNEL}', $1)`, [erasureId]);
      return (await db.query<{ kid: string; purpose: KeyPurpose; image_id: string | null; shredded_at: Date }>('select kid::text, purpose, image_id::text, shredded_at from keys.data_keys where shredded_by = $1 order by shredded_at, kid', [erasureId])).rows;
    });
    this.clearCache();
    return rows.map((r) => ({ kid: r.kid, purpose: r.purpose, imageId: r.image_id ?? undefined, shreddedAt: r.shredded_at }));
  }

  /** Every image that ever got a key under this subject (projected or not): what an account erasure reaches. */
  async imagesOf(subjectId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ image_id: string }>('select image_id::text from keys.images where subject_id = $1 order by image_id', [subjectId]);
    return rows.map((r) => r.image_id);
  }

  /** The images that ever had a key of this subject for `purpose` (a consent withdrawal's reach). */
  async imagesWithKeysFor(subjectId: string, purpose: KeyPurpose): Promise<string[]> {
    const { rows } = await this.pool.query<{ image_id: string }>(
      'select distinct image_id::text from keys.data_keys where subject_id = $1 and purpose = $2 and image_id is not null order by 1',
      [subjectId, purpose],
    );
    return rows.map((r) => r.image_id);
  }

  /** How many live keys each KEK wraps (KEK rotation: everything under the active one once re-wrapped). */
  async kekUsage(): Promise<{ kekId: string; keys: number }[]> {
    const { rows } = await this.pool.query<{ kek_id: string; n: string }>('select kek_id, count(*)::text as n from keys.data_keys where wrapped is not null group by kek_id order by kek_id');
    return rows.map((r) => ({ kekId: r.kek_id, keys: Number(r.n) }));
  }

  /** Whether the subject's account has been erased (no key of it may be created again). */
  async isErased(subjectId: string): Promise<boolean> {
    if (!UUID.test(subjectId)) return false;
    const { rows } = await this.pool.query<{ erased_at: Date | null }>('select erased_at from keys.subjects where subject_id = $1', [subjectId]);
    return Boolean(rows[0]?.erased_at);
  }

  /** A keyed hash (HMAC-SHA-256) under the named system secret, created on first use and wrapped like a data key. */
  async keyedHash(secretName: string, value: string): Promise<string> {
    const secret = await this.secret(secretName);
    return createHmac('sha256', secret).update(value, 'utf8').digest('hex');
  }

  private readonly secrets = new Map<string, Buffer>();

  private async secret(name: string): Promise<Buffer> {
    const known = this.secrets.get(name);
    if (known) return known;
    const fresh = randomBytes(DATA_KEY_BYTES);
    await this.pool.query('insert into keys.secrets (name, kek_id, wrapped) values ($1, $2, $3) on conflict (name) do nothing', [
      name,
      this.keks.activeKid,
      this.wrap(`secret:${name}`, fresh, this.keks.activeKid),
    ]);
    const row = (await this.pool.query<{ kek_id: string; wrapped: Buffer }>('select kek_id, wrapped from keys.secrets where name = $1', [name])).rows[0]!;
    const secret = this.unwrap(`secret:${name}`, row.wrapped, row.kek_id);
    this.secrets.set(name, secret);
    return secret;
  }

  /** Re-wraps every live key and secret under the active KEK (KEK rotation); how many were re-wrapped. */
  async rewrapAll(batch = 500): Promise<number> {
    let n = 0;
    for (;;) {
      const done = await this.tx(async (db) => {
        const { rows } = await db.query<{ kid: string; kek_id: string; wrapped: Buffer }>(
          'select kid::text, kek_id, wrapped from keys.data_keys where wrapped is not null and kek_id <> $1 limit $2 for update skip locked',
          [this.keks.activeKid, batch],
        );
        for (const r of rows) {
          const key = this.unwrap(r.kid, r.wrapped, r.kek_id);
          await db.query('update keys.data_keys set kek_id = $2, wrapped = $3 where kid = $1 and wrapped is not null', [r.kid, this.keks.activeKid, this.wrap(r.kid, key, this.keks.activeKid)]);
        }
        return rows.length;
      });
      n += done;
      if (done < batch) break;
    }
    const secrets = await this.pool.query<{ name: string; kek_id: string; wrapped: Buffer }>('select name, kek_id, wrapped from keys.secrets where kek_id <> $1', [this.keks.activeKid]);
    for (const s of secrets.rows) {
      const value = this.unwrap(`secret:${s.name}`, s.wrapped, s.kek_id);
      await this.pool.query('update keys.secrets set kek_id = $2, wrapped = $3 where name = $1', [s.name, this.keks.activeKid, this.wrap(`secret:${s.name}`, value, this.keks.activeKid)]);
      n++;
    }
    return n;
  }

  private remember(kid: string, key: Buffer | null): void {
    this.cache.set(kid, { key, at: this.now() });
  }

  private wrap(kid: string, key: Buffer, kekId: string): Buffer {
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`key-encryption key ${kekId} is not loaded`);
    const { iv, ct } = seal(kek, key, `facetrail/dek|${kid}`);
    return Buffer.concat([iv, ct]);
  }

  private unwrap(kid: string, wrapped: Buffer, kekId: string): Buffer {
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`data key ${kid} is wrapped under key-encryption key ${kekId}, which PRIVACY_KEK_FILE does not hold (rotated out before \`privacy:rewrap\`?)`);
    const key = open(kek, { iv: wrapped.subarray(0, 12), ct: wrapped.subarray(12) }, `facetrail/dek|${kid}`);
    if (!key) throw new Error(`data key ${kid} does not unwrap under key-encryption key ${kekId} (wrong key file, or the row was altered)`);
    return key;
  }

  private async tx<T>(fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    try {
      await db.query('begin');
      const out = await fn(db);
      await db.query('commit');
      return out;
    } catch (err) {
      await db.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }
}

function assertUuid(value: string, what: string): void {
  if (!UUID.test(value)) throw new Error(`${what} must be a UUID, got ${JSON.stringify(value)}`);
}
