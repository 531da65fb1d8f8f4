// rm.images, rm.faces and rm.daily_stats from the image streams.
//
// A batch is folded in memory with the image view's fold (src/domain/images/image-view.ts), from
// the rows of the images it touches but did not upload (loaded in one query), and written with a
// constant number of statements whatever its size: insert the images uploaded in the batch (in
// their final state), update the others, replace the faces of the images analysed or deleted in
// the batch (their last analysis wins), and add the per-day counters (owner looked up in the
// images table, as before: an event for an image the model does not know counts nothing). The
// result is the same as applying the events one by one.
//
// Nothing sealed is opened here when the log is in this database (localData): the faces and the
// filename are left out of the read (omitData) and the rows refer to the events holding them
// (rm.faces.event_id, rm.images.filename_event); the queries open them on read. Without localData
// (EventStoreDB) the store delivers them opened and they are stored by value.

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import { imageStream, type FaceRecord, type ImageEvent } from '../../domain/images/image-events.js';
import { imageViewFold, type CurrentFaces, type ImageViewState } from '../../domain/images/image-view.js';
import type { LocalEventData, RecordedEvent } from '../../eventstore/types.js';
import { jsonRows, utcDay } from '../batch-sql.js';
import type { Projection } from '../projection.js';
import { streamId } from '../stream-id.js';
import { loadViews, writeViews } from '../view-batch.js';
import { imagesTable, imagesTables, type ImageRowFields } from './tables.js';

interface StatsRow {
  owner_id: string;
  day: string;
  uploads: number;
  analyses: number;
  failures: number;
  deletions: number;
  faces: number;
}

export const imagesProjection: Projection = {
  name: 'images',
  // The faces themselves are referenced or copied server-side (below): a store that can leave them
  // out of the events it delivers saves sending and parsing ~11 kB per analysis (most of a
  // replay's cost); so can the filename, sealed under a key of its own per image (a key fetched,
  // unwrapped and a field opened per upload), which the row refers to instead.
  filter: { streamPrefixes: ['image-'], omitData: { ImageAnalyzed: ['faces'], ImageUploaded: ['filename'] } },
  tables: imagesTables,
  async apply(tx: pg.ClientBase, events, { localData }) {
    const batch = events.map((recorded) => ({ recorded, imageId: streamId(recorded.stream, 'image'), event: upcast(recorded) as ImageEvent }));
    const omittedCounts = await storedFaceCounts(tx, localData, events);
    const uploaded = new Set(batch.filter((b) => b.event.type === 'ImageUploaded').map((b) => b.imageId));
    /** Images whose row shows the filename of their ImageUploaded event (its id), not a copy. */
    const filenameEvents = new Map<string, string>();
    const views = new Map<string, ImageViewState | undefined>(
      await loadViews(tx, imagesTable, batch.map((b) => b.imageId).filter((id) => !uploaded.has(id)), (row) => {
        if (row.filenameEvent !== null) filenameEvents.set(row.imageId, row.filenameEvent);
        return { ...row, filename: row.filename ?? '', faces: null }; // the text of a reference is never written back
      }),
    );
    /** Analyses an upcaster changed: their faces are not in the log as delivered. */
    const reshaped = new Set<string>();
    const stats = new Map<string, StatsRow>();
    /** Images the batch erased: their rows go (faces by cascade). */
    const erased = new Set<string>();
    // The owner as the model knows it (the view loaded or uploaded in this batch; an image the
    // model does not know counts nothing), taken before the fold: an image erased later in the
    // batch (a rebuild) still counts what happened before, as it did live.
    let owner: string | undefined;
    const bump = (_imageId: string, at: Date, counter: 'uploads' | 'analyses' | 'failures' | 'deletions', faceCount = 0) => {
      if (owner === undefined) return;
      const day = utcDay(at);
      const key = `${owner}/${day}`;
      let row = stats.get(key);
      if (!row) stats.set(key, (row = { owner_id: owner, day, uploads: 0, analyses: 0, failures: 0, deletions: 0, faces: 0 }));
      row[counter]++;
      row.faces += faceCount;
    };

    for (const item of batch) {
      const { recorded, imageId } = item;
      let { event } = item;
      const at = recorded.recordedAt;
      owner = event.type === 'ImageUploaded' ? (views.get(imageId) ? undefined : event.data.ownerId) : views.get(imageId)?.ownerId;
      switch (event.type) {
        case 'ImageErased':
          erased.add(imageId);
          break;
        case 'ImageUploaded':
          if (views.get(imageId)) throw new Error(`image ${imageId} uploaded twice in one batch`);
          if ((event.data as { filename?: unknown }).filename === undefined) {
            // Left out of the read: the row refers to the event, which must be here as stored.
            if (!localData) throw new Error(`ImageUploaded ${recorded.id}: the filename was left out and the event is not stored in this database`);
            if (event.data !== recorded.data) throw new Error(`ImageUploaded ${recorded.id}: an upcaster changed the event, so its filename cannot be read as stored; read it without omitData`);
            filenameEvents.set(imageId, recorded.id);
          }
          bump(imageId, at, 'uploads');
          break;
        case 'ImageAnalyzed': {
          const delivered = (event.data as { faces?: FaceRecord[] }).faces;
          const count = delivered?.length ?? event.data.faceCount ?? omittedCounts.get(recorded.id);
          if (count === undefined) throw new Error(`ImageAnalyzed ${recorded.id}: the faces were left out and the event is not stored in this database`);
          if (event.data !== recorded.data) {
            if (delivered === undefined) throw new Error(`ImageAnalyzed ${recorded.id}: an upcaster changed the event, so its faces cannot be copied as stored; read it without omitData`);
            reshaped.add(recorded.id);
          }
          if (delivered === undefined && event.data.faceCount === undefined) event = { ...event, data: { ...event.data, faceCount: count } };
          bump(imageId, at, 'analyses', count);
          break;
        }
        case 'ImageAnalysisFailed':
          bump(imageId, at, 'failures');
          break;
        case 'ImageDeleted':
          bump(imageId, at, 'deletions');
          break;
      }
      views.set(imageId, imageViewFold.evolve(views.get(imageId), event, recorded));
    }

    await writeViews(tx, imagesTable, imageRows(views, filenameEvents), uploaded);
    await writeFaces(tx, localData, views, uploaded, reshaped);
    // Erased images leave the model: their rows (loaded before the batch) are deleted, faces by cascade.
    const gone = [...erased].filter((id) => views.get(id) === undefined);
    if (gone.length > 0) await tx.query('delete from images where image_id = any($1::uuid[])', [gone]);
    if (stats.size > 0) {
      await tx.query(
        `insert into daily_stats as d (day, owner_id, uploads, analyses, failures, deletions, faces)
         select s.day, s.owner_id, sum(s.uploads), sum(s.analyses), sum(s.failures), sum(s.deletions), sum(s.faces)
           from jsonb_to_recordset($1::jsonb) as s(owner_id uuid, day date, uploads int, analyses int, failures int, deletions int, faces int)
          group by s.day, s.owner_id
         on conflict (day, owner_id) do update
            set uploads = d.uploads + excluded.uploads, analyses = d.analyses + excluded.analyses, failures = d.failures + excluded.failures,
                deletions = d.deletions + excluded.deletions, faces = d.faces + excluded.faces`,
        [jsonRows([...stats.values()])],
      );
    }
  },
};

/** The rows to write: the filename as text, or as a reference to the event holding it. */
function imageRows(views: ReadonlyMap<string, ImageViewState | undefined>, filenameEvents: ReadonlyMap<string, string>): Map<string, ImageRowFields | undefined> {
  const rows = new Map<string, ImageRowFields | undefined>();
  for (const [imageId, view] of views) {
    if (!view) {
      rows.set(imageId, undefined);
      continue;
    }
    const ref = filenameEvents.get(imageId);
    rows.set(imageId, { ...view, filename: ref === undefined ? view.filename : null, filenameEvent: ref ?? null });
  }
  return rows;
}

/**
 * Face counts of the batch's analyses delivered without their faces and recorded before events
 * carried `faceCount`, from the stored events (one query); none without a local log.
 */
async function storedFaceCounts(tx: pg.ClientBase, localData: LocalEventData | undefined, events: readonly RecordedEvent[]): Promise<Map<string, number>> {
  const ids = events
    .filter((e) => e.type === 'ImageAnalyzed' && (e.data as { faces?: unknown; faceCount?: unknown }).faces === undefined && typeof (e.data as { faceCount?: unknown }).faceCount !== 'number')
    .map((e) => e.id);
  if (ids.length === 0 || !localData) return new Map();
  return localData.arrayLengths(tx, 'ImageAnalyzed', 'faces', ids);
}

/**
 * Replaces the faces of the images whose faces the batch changed: one row per image whose latest
 * analysis found faces, the event's array as it is (no row per face); deleted images and empty
 * analyses have none. When the log is in this database (localData) the row refers to the event
 * holding the faces (the log is immutable): the faces are stored once, not copied. Only for events
 * stored in the current shape (no upcaster changed them); whatever is not found there (another
 * store) is stored by value, as JSON.
 */
async function writeFaces(
  tx: pg.ClientBase,
  localData: LocalEventData | undefined,
  views: ReadonlyMap<string, ImageViewState | undefined>,
  uploaded: ReadonlySet<string>,
  reshaped: ReadonlySet<string>,
): Promise<void> {
  const upserts: (CurrentFaces & { image: string })[] = [];
  const removed: string[] = [];
  for (const [imageId, view] of views) {
    const faces = view?.faces; // set by this batch's events (loaded views start with none)
    if (!faces) continue;
    if (faces.count > 0) upserts.push({ image: imageId, ...faces });
    else if (!uploaded.has(imageId)) removed.push(imageId); // images new in this batch have no row yet
  }
  if (removed.length > 0) await tx.query('delete from faces where image_id = any($1::uuid[])', [removed]);
  if (upserts.length === 0) return;
  const referable = upserts.filter((u) => !reshaped.has(u.event)).map((u) => ({ id: u.event, stream: imageStream(u.image), type: 'ImageAnalyzed' }));
  const stored = localData && referable.length > 0 ? await localData.storedIds(tx, referable) : new Set<string>();
  const rows = upserts.map((u) => {
    if (stored.has(u.event)) return { i: u.image, e: u.event };
    if (u.faces === undefined) throw new Error(`ImageAnalyzed ${u.event}: the faces were left out and the event is not stored in this database`);
    return { i: u.image, f: u.faces };
  });
  await tx.query(
    `insert into faces (image_id, faces, event_id)
     select i, f, e from jsonb_to_recordset($1::jsonb) as r(i uuid, f jsonb, e uuid)
     on conflict (image_id) do update set faces = excluded.faces, event_id = excluded.event_id`,
    [jsonRows(rows)],
  );
}
