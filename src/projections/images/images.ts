// rm.images, rm.faces and rm.daily_stats from the image streams.
//
// A batch is folded in memory per image, in log order, and written with a constant number of
// statements whatever its size: insert the images uploaded in the batch (in their final state),
// update the others, replace the faces of the images analysed or deleted in the batch (their last
// analysis wins), and add the per-day counters (owner looked up in the images table, as before:
// an event for an image the model does not know counts nothing). The result is the same as
// applying the events one by one.

import type pg from 'pg';
import { upcast } from '../../domain/upcast.js';
import type { FaceRecord, ImageEvent } from '../../domain/images/image-events.js';
import { positionToCursor } from '../../eventstore/position.js';
import type { RecordedEvent } from '../../eventstore/types.js';
import { jsonRows, utcDay } from '../batch-sql.js';
import type { Projection, ReadModelTables } from '../projection.js';
import { streamId } from '../stream-id.js';

interface Common {
  image_id: string;
  updated_at: Date;
  revision: string;
  last_position: string;
}
interface ImageRow extends Common {
  owner_id: string;
  filename: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
  status: string;
  face_count?: number;
  model_name?: string;
  model_version?: string;
  model_sha256?: string;
  analysis_ms?: number;
  last_error_code?: string | null;
  last_error_message?: string | null;
  uploaded_at: Date;
  analyzed_at?: Date;
  deleted_at?: Date;
}
/** Changes to an image uploaded before the batch; `error_set` → the error columns take these values (null included). */
interface ImagePatch extends Common {
  status?: string;
  face_count?: number;
  model_name?: string;
  model_version?: string;
  model_sha256?: string;
  analysis_ms?: number;
  analyzed_at?: Date;
  error_set?: boolean;
  last_error_code?: string | null;
  last_error_message?: string | null;
  deleted_at?: Date;
}
interface StatsRow {
  image_id: string;
  day: string;
  uploads: number;
  analyses: number;
  failures: number;
  deletions: number;
  faces: number;
}

export const imagesTables: ReadModelTables = {
  tables: [
    { name: 'images', key: ['image_id'] },
    { name: 'faces', key: ['image_id'] },
    { name: 'daily_stats', key: ['day', 'owner_id'] },
  ],
  createTables: (s) => /* sql */ `
    create table ${s}.images (
      image_id         uuid primary key,
      owner_id         uuid not null,
      filename         text not null,
      content_type     text not null,
      bytes            integer not null,
      width            integer not null,
      height           integer not null,
      sha256           text not null,
      status           text not null check (status in ('pending', 'analyzed', 'failed')),
      face_count       integer,
      model_name       text,
      model_version    text,
      model_sha256     text,
      analysis_ms      integer,
      last_error_code  text,
      last_error_message text,
      uploaded_at      timestamptz not null,
      analyzed_at      timestamptz,
      updated_at       timestamptz not null,
      deleted_at       timestamptz,
      revision         bigint not null,
      last_position    text not null
    );
    create table ${s}.faces (
      image_id   uuid primary key references ${s}.images (image_id) on delete cascade,
      faces      jsonb,
      event_id   uuid,
      constraint faces_by_value_or_reference check ((faces is null) <> (event_id is null))
    );
    do $$
    begin
      alter table ${s}.faces alter column faces set compression lz4;
    exception when feature_not_supported then null;
    end $$;
    create table ${s}.daily_stats (
      day        date not null,
      owner_id   uuid not null,
      uploads    integer not null default 0,
      analyses   integer not null default 0,
      failures   integer not null default 0,
      faces      integer not null default 0,
      deletions  integer not null default 0,
      primary key (day, owner_id)
    );`,
  createIndexes: (s) => /* sql */ `
    create index images_owner_newest on ${s}.images (owner_id, uploaded_at desc, image_id desc) where deleted_at is null;
    create index images_newest on ${s}.images (uploaded_at desc, image_id desc) where deleted_at is null;
    create index images_by_sha on ${s}.images (sha256) where deleted_at is null;
    create index images_pending on ${s}.images (updated_at) where deleted_at is null and status = 'pending';`,
};

export const imagesProjection: Projection = {
  name: 'images',
  // The faces themselves are referenced or copied server-side (below): a store that can leave them
  // out of the events it delivers saves sending and parsing ~11 kB per analysis (most of a
  // replay's cost).
  filter: { streamPrefixes: ['image-'], omitData: { ImageAnalyzed: ['faces'] } },
  tables: imagesTables,
  async apply(tx: pg.ClientBase, events) {
    const inserts = new Map<string, ImageRow>();
    const patches = new Map<string, ImagePatch>();
    /** Images whose faces are replaced: the event that sets them, their number, and the faces if delivered. */
    const faces = new Map<string, FacesChange>();
    const omittedCounts = await storedFaceCounts(tx, events);
    const stats = new Map<string, StatsRow>();
    const bump = (imageId: string, at: Date, counter: 'uploads' | 'analyses' | 'failures' | 'deletions', faceCount = 0) => {
      const day = utcDay(at);
      const key = `${imageId}/${day}`;
      let row = stats.get(key);
      if (!row) stats.set(key, (row = { image_id: imageId, day, uploads: 0, analyses: 0, failures: 0, deletions: 0, faces: 0 }));
      row[counter]++;
      row.faces += faceCount;
    };

    for (const recorded of events) {
      const event = upcast(recorded) as ImageEvent;
      const imageId = streamId(recorded.stream, 'image');
      const at = recorded.recordedAt;
      const common: Common = { image_id: imageId, updated_at: at, revision: recorded.revision.toString(), last_position: positionToCursor(recorded.position) };
      if (event.type === 'ImageUploaded') {
        if (inserts.has(imageId)) throw new Error(`image ${imageId} uploaded twice in one batch`);
        const d = event.data;
        inserts.set(imageId, {
          ...common,
          owner_id: d.ownerId,
          filename: d.filename,
          content_type: d.contentType,
          bytes: d.bytes,
          width: d.width,
          height: d.height,
          sha256: d.sha256,
          status: 'pending',
          uploaded_at: at,
        });
        bump(imageId, at, 'uploads');
        continue;
      }
      const target: ImageRow | ImagePatch = inserts.get(imageId) ?? patches.get(imageId) ?? { ...common };
      Object.assign(target, common);
      switch (event.type) {
        case 'ImageAnalysisRequested':
          target.status = 'pending';
          break;
        case 'ImageAnalyzed': {
          const { model, durationMs } = event.data;
          const delivered = (event.data as { faces?: FaceRecord[] }).faces;
          const count = delivered?.length ?? event.data.faceCount ?? omittedCounts.get(recorded.id);
          if (count === undefined) throw new Error(`ImageAnalyzed ${recorded.id}: the faces were left out and the event is not in es.events`);
          if (delivered === undefined && event.data !== recorded.data) {
            throw new Error(`ImageAnalyzed ${recorded.id}: an upcaster changed the event, so its faces cannot be copied as stored; read it without omitData`);
          }
          Object.assign(target, {
            status: 'analyzed',
            face_count: count,
            model_name: model.name,
            model_version: model.version,
            model_sha256: model.sha256,
            analysis_ms: Math.round(durationMs),
            analyzed_at: at,
            error_set: true,
            last_error_code: null,
            last_error_message: null,
          });
          faces.set(imageId, { event: recorded.id, count, faces: delivered, asStored: event.data === recorded.data });
          bump(imageId, at, 'analyses', count);
          break;
        }
        case 'ImageAnalysisFailed':
          Object.assign(target, { status: 'failed', error_set: true, last_error_code: event.data.error.code, last_error_message: event.data.error.message });
          bump(imageId, at, 'failures');
          break;
        case 'ImageDeleted':
          target.deleted_at = at;
          faces.set(imageId, { event: recorded.id, count: 0, faces: [], asStored: false });
          bump(imageId, at, 'deletions');
          break;
        default:
          continue;
      }
      if (!inserts.has(imageId)) patches.set(imageId, target);
    }

    if (inserts.size > 0) {
      await tx.query(
        `insert into images (image_id, owner_id, filename, content_type, bytes, width, height, sha256, status, face_count, model_name,
                             model_version, model_sha256, analysis_ms, last_error_code, last_error_message, uploaded_at, analyzed_at,
                             updated_at, deleted_at, revision, last_position)
         select image_id, owner_id, filename, content_type, bytes, width, height, sha256, status, face_count, model_name,
                model_version, model_sha256, analysis_ms, last_error_code, last_error_message, uploaded_at, analyzed_at,
                updated_at, deleted_at, revision, last_position
           from jsonb_to_recordset($1::jsonb) as r(image_id uuid, owner_id uuid, filename text, content_type text, bytes int, width int,
                height int, sha256 text, status text, face_count int, model_name text, model_version text, model_sha256 text,
                analysis_ms int, last_error_code text, last_error_message text, uploaded_at timestamptz, analyzed_at timestamptz,
                updated_at timestamptz, deleted_at timestamptz, revision bigint, last_position text)`,
        [jsonRows([...inserts.values()].map(withoutFlags))],
      );
    }
    if (patches.size > 0) {
      await tx.query(
        `update images i
            set status = coalesce(p.status, i.status), face_count = coalesce(p.face_count, i.face_count),
                model_name = coalesce(p.model_name, i.model_name), model_version = coalesce(p.model_version, i.model_version),
                model_sha256 = coalesce(p.model_sha256, i.model_sha256), analysis_ms = coalesce(p.analysis_ms, i.analysis_ms),
                analyzed_at = coalesce(p.analyzed_at, i.analyzed_at),
                last_error_code = case when p.error_set then p.last_error_code else i.last_error_code end,
                last_error_message = case when p.error_set then p.last_error_message else i.last_error_message end,
                deleted_at = coalesce(p.deleted_at, i.deleted_at),
                updated_at = p.updated_at, revision = p.revision, last_position = p.last_position
           from jsonb_to_recordset($1::jsonb) as p(image_id uuid, status text, face_count int, model_name text, model_version text,
                model_sha256 text, analysis_ms int, analyzed_at timestamptz, error_set boolean, last_error_code text,
                last_error_message text, deleted_at timestamptz, updated_at timestamptz, revision bigint, last_position text)
          where i.image_id = p.image_id`,
        [jsonRows([...patches.values()])],
      );
    }
    if (faces.size > 0) {
      // One row per image whose latest analysis found faces: the event's array as it is (by
      // reference or as one jsonb value; no row per face). Deleted images and empty analyses have none.
      const upserts: (FacesChange & { image: string })[] = [];
      const removed: string[] = [];
      for (const [imageId, f] of faces) {
        if (f.count > 0) upserts.push({ image: imageId, ...f });
        else if (!inserts.has(imageId)) removed.push(imageId); // images new in this batch have no row yet
      }
      if (removed.length > 0) await tx.query('delete from faces where image_id = any($1::uuid[])', [removed]);
      // With the PostgreSQL event store the row refers to the event holding the faces (the log is
      // immutable and in this database): the faces are stored once, not copied. Only for events
      // stored in the current shape (upcasting left them as they are); whatever is not found
      // there (another store) is stored by value, as JSON.
      let pending = upserts;
      const direct = upserts.filter((u) => u.asStored);
      if (direct.length > 0) {
        const { rows } = await tx.query<{ image_id: string }>(
          `insert into faces (image_id, event_id)
           select r.i, e.id
             from unnest($1::uuid[], $2::uuid[]) as r(i, e)
             -- one index lookup per event (offset 0 keeps the planner from turning this into a
             -- hash join over every ImageAnalyzed in the log, a cost that grows with the log)
             cross join lateral (select id from es.events
                                  where id = r.e and stream = 'image-' || r.i::text and type = 'ImageAnalyzed' offset 0) e
           on conflict (image_id) do update set event_id = excluded.event_id, faces = null
           returning image_id`,
          [direct.map((u) => u.image), direct.map((u) => u.event)],
        );
        const copied = new Set(rows.map((r) => r.image_id));
        pending = upserts.filter((u) => !copied.has(u.image));
      }
      const lost = pending.find((u) => u.faces === undefined);
      if (lost) throw new Error(`ImageAnalyzed ${lost.event}: the faces were left out and the event is not in es.events`);
      if (pending.length > 0) {
        await tx.query(
          `insert into faces (image_id, faces)
           select i, f from jsonb_to_recordset($1::jsonb) as r(i uuid, f jsonb)
           on conflict (image_id) do update set faces = excluded.faces, event_id = null`,
          [jsonRows(pending.map((u) => ({ i: u.image, f: u.faces })))],
        );
      }
    }
    if (stats.size > 0) {
      await tx.query(
        `insert into daily_stats as d (day, owner_id, uploads, analyses, failures, deletions, faces)
         select s.day, i.owner_id, sum(s.uploads), sum(s.analyses), sum(s.failures), sum(s.deletions), sum(s.faces)
           from jsonb_to_recordset($1::jsonb) as s(image_id uuid, day date, uploads int, analyses int, failures int, deletions int, faces int)
           join images i on i.image_id = s.image_id
          group by s.day, i.owner_id
         on conflict (day, owner_id) do update
            set uploads = d.uploads + excluded.uploads, analyses = d.analyses + excluded.analyses, failures = d.failures + excluded.failures,
                deletions = d.deletions + excluded.deletions, faces = d.faces + excluded.faces`,
        [jsonRows([...stats.values()])],
      );
    }
  },
};

interface FacesChange {
  event: string;
  count: number;
  /** Undefined when the store left them out (omitData): then they are copied from es.events. */
  faces: FaceRecord[] | undefined;
  /** The event is in its stored shape (no upcaster changed it), so es.events holds these faces. */
  asStored: boolean;
}

/**
 * Face counts of the batch's analyses delivered without their faces and recorded before events
 * carried `faceCount`, from es.events (one query).
 */
async function storedFaceCounts(tx: pg.ClientBase, events: readonly RecordedEvent[]): Promise<Map<string, number>> {
  const ids = events
    .filter((e) => e.type === 'ImageAnalyzed' && (e.data as { faces?: unknown; faceCount?: unknown }).faces === undefined && typeof (e.data as { faceCount?: unknown }).faceCount !== 'number')
    .map((e) => e.id);
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; n: number }>(
    `select id::text as id, jsonb_array_length(data -> 'faces') as n from es.events where id = any($1::uuid[]) and type = 'ImageAnalyzed'`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.n]));
}

function withoutFlags(row: ImageRow & { error_set?: boolean }): ImageRow {
  const { error_set: _flag, ...rest } = row;
  return rest;
}
