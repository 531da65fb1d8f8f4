// The filename by reference (issue 15 item 8, migration 0015): a replay of the images projection on
// PostgreSQL opens nothing — the filename is left out of the read (omitData) and rm.images refers to
// the ImageUploaded event — so it fetches no data key; the reads open the filenames of a page with
// one key lookup, and an erased filename (its content key shredded) reads as the tombstone, as it
// does by value. A store that delivers the filename (EventStoreDB; here PostgreSQL read without
// omitData and without localData) stores it opened, by value, and reads the same. The real key store
// throughout: its `keys` method is only counted.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalData } from '../../../src/domain/personal-data.js';
import { ERASED_TEXT } from '../../../src/domain/privacy/tombstone.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore } from '../../../src/eventstore/types.js';
import { migrate } from '../../../src/db/migrate.js';
import { migrations } from '../../../src/db/migrations/index.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { FieldOpener, personalDataRegistry, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { imagesProjection } from '../../../src/projections/images/images.js';
import { rebuildAndSwap, verifyProjection } from '../../../src/projections/rebuild.js';
import { ImagesQuery } from '../../../src/queries/images/images-query.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

const kek = parseKekFile(JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), 'test KEK', 'file');
const admin = { userId: randomUUID(), role: 'admin' as const };
const IMAGES = 12;

let db: TestDatabase;
let bare: PostgresEventStore;
let keys: KeyStore;
let sealed: EventStore;
/** Every data key id the key store was asked for, in order. */
let asked: string[] = [];
let calls = 0;
const owner = randomUUID();
const names = new Map<string, string>();

beforeAll(async () => {
  db = await createTestDatabase('f15_filename_ref');
  bare = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
  keys = new KeyStore(db.pool, kek, { cacheEntries: 1_000, cacheTtlMs: 60_000 });
  const fetch = keys.keys.bind(keys);
  keys.keys = (kids) => {
    calls++;
    asked.push(...kids);
    return fetch(kids);
  };
  sealed = sealEventStore(bare, keys, personalDataRegistry(...personalData));
  for (let i = 0; i < IMAGES; i++) {
    const imageId = randomUUID();
    const filename = `holiday-${i}-${imageId.slice(0, 8)}.jpg`;
    names.set(imageId, filename);
    await keys.ensureKey({ purpose: 'content', subjectId: owner, imageId });
    await sealed.append(`image-${imageId}`, [
      { type: 'ImageUploaded', data: { imageId, ownerId: owner, filename, contentType: 'image/jpeg', bytes: 10 + i, width: 100, height: 80, sha256: 'b'.repeat(64) } },
      { type: 'ImageAnalysisFailed', data: { requestId: randomUUID(), model: { name: 'm', version: '1', sha256: 'c'.repeat(64) }, error: { code: 'inference_failed', message: 'no' }, attempts: 1 } },
    ]);
  }
});

afterAll(async () => {
  await bare?.close();
  await keys?.close();
  await db?.drop();
});

const query = () => new ImagesQuery(db.pool, bare.localData, new FieldOpener(keys));
const filenames = async () => new Map((await query().list(admin, { limit: 100 })).items.map((i) => [i.imageId, i.filename]));
const reset = () => {
  asked = [];
  calls = 0;
};

describe('images projection: the filename by reference', () => {
  it('a rebuild of images on PostgreSQL fetches no data key and stores references, not filenames', async () => {
    keys.clearCache();
    reset();
    const result = await rebuildAndSwap({ pool: db.pool, store: sealed }, imagesProjection);
    expect(result.applied).toBe(IMAGES * 2);
    expect(asked).toEqual([]);
    const { rows } = await db.pool.query<{ by_value: number; by_reference: number }>(
      'select count(*) filter (where filename is not null)::int as by_value, count(*) filter (where filename_event is not null)::int as by_reference from rm.images',
    );
    expect(rows[0]).toEqual({ by_value: 0, by_reference: IMAGES });
    // The counter counts: reading the same log with the filename opens one content key per image.
    reset();
    for await (const e of sealed.readAll({ filter: { streamPrefixes: ['image-'] } })) void e;
    expect(new Set(asked).size).toBe(IMAGES);
  });

  it('reads open the filenames of a page with one key lookup; get and snapshots show them too', async () => {
    keys.clearCache();
    reset();
    expect(await filenames()).toEqual(names);
    expect(calls).toBe(1);
    const [id, name] = [...names][0]!;
    expect((await query().get(admin, id))?.filename).toBe(name);
    expect((await query().snapshots([id]))[0]?.image.filename).toBe(name);
  });

  it('an erased filename reads as the tombstone, by reference and by value alike; verify agrees', async () => {
    const [erased] = [...names.keys()];
    await keys.shred(randomUUID(), { imageId: erased! });
    const expected = new Map([...names].map(([id, name]) => [id, id === erased ? ERASED_TEXT : name]));
    expect(await filenames()).toEqual(expected);
    expect((await verifyProjection({ pool: db.pool, store: sealed }, imagesProjection)).ok).toBe(true);

    // A store that delivers the filename and has no localData (as EventStoreDB): stored opened, by value.
    const delivering: EventStore = {
      kind: bare.kind,
      limits: bare.limits,
      append: (stream, events, opts) => bare.append(stream, events, opts),
      readStream: (stream, opts) => bare.readStream(stream, opts),
      readAll: (opts = {}) => bare.readAll({ ...opts, filter: { streamPrefixes: opts.filter?.streamPrefixes ?? [] } }),
      subscribe: (opts) => bare.subscribe({ ...opts, filter: { streamPrefixes: opts.filter?.streamPrefixes ?? [] } }),
      headPosition: () => bare.headPosition(),
      ping: () => bare.ping(),
      close: () => Promise.resolve(),
    };
    await rebuildAndSwap({ pool: db.pool, store: sealEventStore(delivering, keys, personalDataRegistry(...personalData)) }, imagesProjection);
    const { rows } = await db.pool.query<{ image_id: string; filename: string | null; filename_event: string | null }>('select image_id::text, filename, filename_event::text from rm.images');
    expect(rows.every((r) => r.filename_event === null)).toBe(true);
    expect(new Map(rows.map((r) => [r.image_id, r.filename]))).toEqual(expected);
    expect(await filenames()).toEqual(expected);
  });
});

describe('migration 0015', () => {
  it('turns filenames whose upload is in the log into references, and the reads answer as before', async () => {
    const scratch = await createTestDatabase('f15_filename_mig', { migrate: false });
    const store = new PostgresEventStore(scratch.pool, { url: scratch.url, pollIntervalMs: 100 });
    try {
      const before = migrations.findIndex((m) => m.id === '0015_filename_by_reference');
      await migrate(scratch.pool, migrations.slice(0, before));
      const uploaded = randomUUID();
      const upload = randomUUID();
      await store.append(`image-${uploaded}`, [
        { id: upload, type: 'ImageUploaded', data: { imageId: uploaded, ownerId: owner, filename: 'in-the-log.jpg', contentType: 'image/jpeg', bytes: 1, width: 1, height: 1, sha256: 'd'.repeat(64) } },
      ]);
      const elsewhere = randomUUID();
      for (const [id, filename] of [
        [uploaded, 'in-the-log.jpg'],
        [elsewhere, 'not-in-the-log.jpg'],
      ] as const) {
        await scratch.pool.query(
          `insert into rm.images (image_id, owner_id, filename, content_type, bytes, width, height, sha256, status, uploaded_at, updated_at, revision, last_position)
           values ($1, $2, $3, 'image/jpeg', 1, 1, 1, $4, 'pending', now(), now(), 0, '0-0')`,
          [id, owner, filename, 'd'.repeat(64)],
        );
      }
      await migrate(scratch.pool);
      const { rows } = await scratch.pool.query<{ image_id: string; filename: string | null; filename_event: string | null }>('select image_id::text, filename, filename_event::text from rm.images');
      expect(new Map(rows.map((r) => [r.image_id, [r.filename, r.filename_event]]))).toEqual(
        new Map([
          [uploaded, [null, upload]],
          [elsewhere, ['not-in-the-log.jpg', null]],
        ]),
      );
      const read = await new ImagesQuery(scratch.pool, store.localData).list(admin, { limit: 10 });
      expect(new Map(read.items.map((i) => [i.imageId, i.filename]))).toEqual(
        new Map([
          [uploaded, 'in-the-log.jpg'],
          [elsewhere, 'not-in-the-log.jpg'],
        ]),
      );
    } finally {
      await store.close();
      await scratch.drop();
    }
  });
});
