// Where the images projection gets an analysis's faces: a reference to the event in es.events
// when the log is in this database (the store may then leave the faces out of the delivered event,
// omitData), or the delivered faces by value when the event is not in es.events (another store,
// e.g. EventStoreDB). Both read the same; an omitted face list that cannot be found fails the
// batch loudly instead of storing an image without faces.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceRecord } from '../../../src/domain/images/image-events.js';
import type { RecordedEvent } from '../../../src/eventstore/types.js';
import { imagesProjection } from '../../../src/projections/images/images.js';
import { ImagesQuery } from '../../../src/queries/images/images-query.js';
import { enterSchema, LIVE_SCHEMA } from '../../../src/projections/runner.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { collect } from '../eventstore/contract.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { faceIdOf } from '../../../src/domain/images/face-id.js';

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('facesource');
  store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 100 });
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

const model = { name: 'ssd_mobilenetv1', version: '1', sha256: 'a'.repeat(64) };
const face = (k: number): FaceRecord => ({
  box: { x: k, y: k + 1, width: 10, height: 12 },
  score: 0.9,
  landmarks: Array.from({ length: 68 }, (_, i) => [k + i, k - i] as [number, number]),
  descriptor: Array.from({ length: 128 }, (_, i) => (i - 64) / 256),
});

function imageEvents(imageId: string, faces: FaceRecord[]) {
  const uploadId = randomUUID();
  return [
    { id: uploadId, type: 'ImageUploaded', data: { imageId, ownerId: randomUUID(), filename: 'a.jpg', contentType: 'image/jpeg', bytes: 10, width: 100, height: 80, sha256: 'b'.repeat(64) } },
    { type: 'ImageAnalyzed', data: { requestId: uploadId, model, faces, durationMs: 5 } },
  ];
}

async function applyInTransaction(events: RecordedEvent[]): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await enterSchema(client, imagesProjection, LIVE_SCHEMA);
    await imagesProjection.apply(client, events, { localData: store.localData });
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

/** Faces as the read side answers them (with their ids; descriptors as float32). */
const asServed = (imageId: string, faces: FaceRecord[]) => faces.map((f, i) => ({ faceId: faceIdOf(imageId, model.sha256, i), ...f, descriptor: f.descriptor.map((d) => Math.fround(d)) }));

async function storedFaces(imageId: string) {
  const { rows } = await db.pool.query<{ face_count: number | null; by_value: boolean | null; event_id: string | null }>(
    'select i.face_count, f.faces is not null as by_value, f.event_id from rm.images i left join rm.faces f using (image_id) where i.image_id = $1',
    [imageId],
  );
  const row = rows[0];
  return row && { ...row, faces: await new ImagesQuery(db.pool, store.localData).faces(imageId, true) };
}

describe('images projection: faces', () => {
  it('copies the faces from es.events when the store left them out', async () => {
    const imageId = randomUUID();
    const faces = [face(1), face(2)];
    await store.append(`image-${imageId}`, imageEvents(imageId, faces));
    const delivered = await collect(store.readStream(`image-${imageId}`));
    const slim = await collect(store.readAll({ filter: { ...imagesProjection.filter, streamPrefixes: [`image-${imageId}`] } }));
    expect((slim[1]!.data as { faces?: unknown }).faces).toBeUndefined(); // the PostgreSQL store did omit them
    await applyInTransaction(slim);
    expect(await storedFaces(imageId)).toEqual({ face_count: 2, by_value: false, event_id: delivered[1]!.id, faces: asServed(imageId, faces) });
  });

  it('takes the delivered faces when the event is not in es.events', async () => {
    const imageId = randomUUID();
    const faces = [face(3)];
    const events: RecordedEvent[] = imageEvents(imageId, faces).map((e, i) => ({
      id: e.id ?? randomUUID(),
      stream: `image-${imageId}`,
      revision: BigInt(i),
      position: { commit: 1n, prepare: BigInt(i) },
      type: e.type,
      data: e.data,
      metadata: { correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1 },
      recordedAt: new Date(),
    }));
    await applyInTransaction(events);
    expect(await storedFaces(imageId)).toEqual({ face_count: 1, by_value: true, event_id: null, faces: asServed(imageId, faces) });
  });

  it('fails the batch when omitted faces are not in es.events', async () => {
    const imageId = randomUUID();
    const events: RecordedEvent[] = imageEvents(imageId, [face(4)]).map((e, i) => ({
      id: e.id ?? randomUUID(),
      stream: `image-${imageId}`,
      revision: BigInt(i),
      position: { commit: 1n, prepare: BigInt(i) },
      type: e.type,
      data: e.type === 'ImageAnalyzed' ? { requestId: (e.data as { requestId: string }).requestId, model, durationMs: 5 } : e.data,
      metadata: { correlationId: randomUUID(), causationId: randomUUID(), schemaVersion: 1 },
      recordedAt: new Date(),
    }));
    await expect(applyInTransaction(events)).rejects.toThrow(/faces were left out/);
    expect(await storedFaces(imageId)).toBeUndefined(); // nothing half-written
  });
});
