// Read side of images (rm.images, rm.faces, rm.daily_stats). Visibility (domain/images/visibility.ts):
// a user sees only their own images; admins and auditors see all. What a viewer may not see does not exist (404).

import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { Viewer } from '../../domain/identity/viewer.js';
import { isDeleted, type ImageFields } from '../../domain/images/image-view.js';
import { maySeeImage, seesEveryImage } from '../../domain/images/visibility.js';
import type { FieldOpener } from '../../privacy/sealing-event-store.js';
import type { LocalEventData } from '../../eventstore/types.js';
import { imagesTable, type ImageRowFields } from '../../projections/images/tables.js';
import { imageStream } from '../../domain/images/image-events.js';
import { faceIdOf } from '../../domain/images/face-id.js';
import { isErased } from '../../privacy/declarations.js';
import { textOrTombstone } from '../../domain/privacy/tombstone.js';
import type { Face, Image, ImageStatus as ImageStatusShape } from './shapes.js';
import { parseInstant } from '../dates.js';
import { withoutBidiControls } from '../../domain/text/display-text.js';

export type { Viewer };

// The views are what the API returns (shapes.ts, TypeBox): written once, there.
export type ImageStatus = Static<typeof ImageStatusShape>;
export type FaceView = Static<typeof Face>;
export type ImageView = Static<typeof Image>;

/**
 * A selected row of rm.images (imagesTable's columns) with its cursor key and, for a filename held
 * by reference, the value stored in its ImageUploaded event (`filename_stored`, sealed).
 */
type ImageRow = Record<string, unknown> & { image_id: string; uploaded_key: string; filename_stored: unknown };

/** The image as the API answers it, from the image view's fields: rows of rm.images, time travel, live notices. */
export function imageViewOf(f: ImageFields): ImageView {
  return {
    imageId: f.imageId,
    ownerId: f.ownerId,
    filename: withoutBidiControls(f.filename), // names recorded before bidi controls were removed at upload
    contentType: f.contentType,
    bytes: f.bytes,
    width: f.width,
    height: f.height,
    sha256: f.sha256,
    status: f.status,
    faceCount: f.faceCount,
    model: f.modelName && f.modelVersion && f.modelSha256 ? { name: f.modelName, version: f.modelVersion, sha256: f.modelSha256 } : null,
    analysisMs: f.analysisMs,
    error: f.lastErrorCode ? { code: f.lastErrorCode, message: f.lastErrorMessage ?? '' } : null,
    uploadedAt: f.uploadedAt.toISOString(),
    analyzedAt: f.analyzedAt?.toISOString() ?? null,
    updatedAt: f.updatedAt.toISOString(),
  };
}

/** A face out of rm.faces' array (or the event's it refers to). */
interface FaceRow {
  image_id: string;
  face_id: string;
  box: FaceView['box'];
  score: number;
  landmarks: [number, number][];
  descriptor: number[] | null;
}

/** A face as the ImageAnalyzed event holds it. */
interface StoredFace {
  box: FaceView['box'];
  score: number;
  landmarks: [number, number][];
  descriptor: number[];
}

/**
 * A descriptor value as the API has always answered it: the float32 nearest the stored float64,
 * printed with the fewest digits that read back as that float32 (what PostgreSQL's real prints).
 */
export function float32Shortest(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

function faceView(r: FaceRow, includeDescriptor: boolean): FaceView {
  return {
    faceId: r.face_id,
    box: { x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height },
    score: r.score,
    landmarks: r.landmarks,
    ...(includeDescriptor && r.descriptor ? { descriptor: r.descriptor } : {}),
  };
}

/** A filename read by reference, opened: its text, or the tombstone once erased; anything else is a broken reference. */
function filenameOf(row: Pick<ImageRowFields, 'imageId' | 'filenameEvent'>, value: unknown): string {
  if (typeof value === 'string' || isErased(value)) return textOrTombstone(value);
  throw new Error(`image ${row.imageId}: its filename refers to event ${row.filenameEvent}, which ${value === null || value === undefined ? 'is not in the log' : 'holds no opened filename (sealed, and no opener given)'}`);
}

export class InvalidPageCursorError extends Error {
  readonly code = 'invalid_cursor';
}

export type ImageOrdering = 'uploadedAt' | '-uploadedAt';

export interface ImageListOptions {
  status?: ImageStatus | undefined;
  /** Inclusive lower bound of uploadedAt (ISO date-time). */
  uploadedFrom?: string | undefined;
  /** Exclusive upper bound of uploadedAt (ISO date-time). */
  uploadedTo?: string | undefined;
  /** '-uploadedAt' (default): newest first; 'uploadedAt': oldest first. */
  ordering?: ImageOrdering | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface ImagePage {
  items: ImageView[];
  nextCursor: string | null;
  /** Per item, the cursor that continues after it (GraphQL connection edges). */
  cursors: string[];
}

/** An image as its projection last committed it, deleted or not (live notifications). */
export interface ImageSnapshot {
  image: ImageView;
  revision: number;
  deleted: boolean;
}

/** A filter the caller got wrong (GraphQL and REST map it to a 400 with this code). */
export class InvalidListFilterError extends Error {
  constructor(
    readonly code: 'invalid_range' | 'invalid_date',
    message: string,
  ) {
    super(message);
  }
}

/** Same instant written two ways (`…Z` / `….000Z` / `+00:00`) → one spelling; finer than ms: as given. */
function canonicalInstant(value: string, name: string): string {
  const ms = parseInstant(value, name).getTime(); // RFC 3339 within the store's range, or 400 invalid_date
  return /\.\d{4,}/.test(value) ? value : new Date(ms).toISOString();
}

/** The list options a cursor is only valid for, normalised (everything but cursor and limit). */
export function listScope(opts: ImageListOptions): { ordering: ImageOrdering; status: ImageStatus | null; from: string | null; to: string | null } {
  const from = opts.uploadedFrom === undefined ? null : canonicalInstant(opts.uploadedFrom, 'uploadedFrom');
  const to = opts.uploadedTo === undefined ? null : canonicalInstant(opts.uploadedTo, 'uploadedTo');
  if (from !== null && to !== null && Date.parse(from) > Date.parse(to)) throw new InvalidListFilterError('invalid_range', 'uploadedFrom is after uploadedTo');
  return { ordering: opts.ordering ?? '-uploadedAt', status: opts.status ?? null, from, to };
}

/** Short fingerprint of the ordering and filters, carried in the cursor. */
function scopeTag(scope: ReturnType<typeof listScope>): string {
  return createHash('sha256').update(JSON.stringify([scope.ordering, scope.status, scope.from, scope.to])).digest('base64url').slice(0, 16);
}

function encodeCursor(uploadedKey: string, imageId: string, tag: string): string {
  return Buffer.from(JSON.stringify([uploadedKey, imageId, tag])).toString('base64url');
}

/** A cursor continues the listing it came from: another ordering or other filters → invalid. */
function decodeCursor(cursor: string, tag: string): [string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && typeof value[1] === 'string' && /^[0-9a-f-]{36}$/.test(value[1]) && !Number.isNaN(Date.parse(value[0]))) {
    if (value[2] !== tag) throw new InvalidPageCursorError('the page cursor belongs to another ordering or other filters');
    return [value[0], value[1]];
  }
  throw new InvalidPageCursorError('the page cursor is not valid');
}

export class ImagesQuery {
  /** The faces of an image: its rm.faces row's array, or that of the event it refers to (EventStore.localData). */
  private readonly facesArray: string;
  /** What rm.images (alias `i`) selects: its columns, the cursor key and the filename its reference points to. */
  private readonly columns: string;

  constructor(
    private readonly pool: pg.Pool,
    /** The store's events, when the log is in this database: rm.faces may refer to them (faces stored once). */
    localData: LocalEventData | undefined,
    /** Opens the sealed faces read by reference from the log (src/privacy); absent: only unsealed faces. */
    private readonly opener?: Pick<FieldOpener, 'openValues'>,
  ) {
    this.facesArray = localData ? `coalesce(rf.faces, ${localData.dataField('rf.event_id', 'faces')})` : 'rf.faces';
    // Without the log here no row refers to it (the projection stored every filename by value); a
    // reference met anyway fails loudly in `opened`.
    const stored = localData ? localData.dataField('i.filename_event', 'filename') : 'null::jsonb';
    this.columns = `${imagesTable.selectList('i')}, i.uploaded_at::text as uploaded_key, ${stored} as filename_stored`;
  }

  /**
   * The rows' fields with their filenames: by value, or read by reference from the ImageUploaded
   * event and opened here, one key lookup for all the rows (a page); an erased one reads as the
   * tombstone, as everywhere.
   */
  private async opened(rows: readonly ImageRow[]): Promise<ImageFields[]> {
    const decoded = rows.map((row) => imagesTable.decode(row));
    const refs = decoded.flatMap((f, i) => (f.filenameEvent === null ? [] : [{ value: rows[i]!.filename_stored, stream: imageStream(f.imageId), eventId: f.filenameEvent, field: 'filename' }]));
    const values = refs.length === 0 ? [] : this.opener ? await this.opener.openValues(refs) : refs.map((r) => r.value);
    let next = 0;
    return decoded.map((f) => ({ ...f, filename: f.filenameEvent === null ? (f.filename ?? '') : filenameOf(f, values[next++]) }));
  }

  /**
   * Keyset-paginated by (uploadedAt, imageId), newest first unless `ordering: 'uploadedAt'`: a
   * cursor always continues after the same row, and only for the ordering and filters it came from.
   */
  async list(viewer: Viewer, opts: ImageListOptions): Promise<ImagePage> {
    const scope = listScope(opts);
    const tag = scopeTag(scope);
    const values: unknown[] = [];
    const where = ['deleted_at is null'];
    if (!seesEveryImage(viewer)) {
      values.push(viewer.userId);
      where.push(`owner_id = $${values.length}`);
    }
    if (scope.status) {
      values.push(scope.status);
      where.push(`status = $${values.length}`);
    }
    if (scope.from !== null) {
      values.push(scope.from);
      where.push(`uploaded_at >= $${values.length}::timestamptz`);
    }
    if (scope.to !== null) {
      values.push(scope.to);
      where.push(`uploaded_at < $${values.length}::timestamptz`);
    }
    const ascending = scope.ordering === 'uploadedAt';
    if (opts.cursor) {
      const [key, id] = decodeCursor(opts.cursor, tag);
      values.push(key, id);
      where.push(`(uploaded_at, image_id) ${ascending ? '>' : '<'} ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(opts.limit + 1);
    const direction = ascending ? 'asc' : 'desc';
    const { rows } = await this.pool.query<ImageRow>(
      `select ${this.columns} from rm.images i where ${where.join(' and ')} order by uploaded_at ${direction}, image_id ${direction} limit $${values.length}`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const last = page.at(-1);
    return {
      items: (await this.opened(page)).map(imageViewOf),
      nextCursor: rows.length > opts.limit && last ? encodeCursor(last.uploaded_key, last.image_id, tag) : null,
      cursors: page.map((r) => encodeCursor(r.uploaded_key, r.image_id, tag)),
    };
  }

  /** Images by id in one query, deleted ones included, with no visibility check: for notifications. */
  async snapshots(imageIds: readonly string[]): Promise<ImageSnapshot[]> {
    if (imageIds.length === 0) return [];
    const { rows } = await this.pool.query<ImageRow>(`select ${this.columns} from rm.images i where image_id = any($1::uuid[])`, [imageIds]);
    return (await this.opened(rows)).map((image) => ({ image: imageViewOf(image), revision: Number(image.revision), deleted: isDeleted(image) }));
  }

  async get(viewer: Viewer, imageId: string): Promise<ImageView | undefined> {
    const { rows } = await this.pool.query<ImageRow>(`select ${this.columns} from rm.images i where image_id = $1 and deleted_at is null`, [imageId]);
    const row = rows[0];
    // Whether the viewer may see it is decided before anything is opened.
    if (!row || !maySeeImage(viewer, imagesTable.decode(row))) return undefined;
    const [image] = await this.opened([row]);
    return imageViewOf(image!);
  }

  /**
   * rm.faces holds the analysis's faces as one jsonb array (descriptors as the event's float64),
   * by value or as a reference to the ImageAnalyzed event holding them (migration 0007).
   * Descriptors are answered as before (float32: PostgreSQL's real, shortest digits), and only
   * read out of the array when asked for.
   */
  async faces(imageId: string, includeDescriptor: boolean): Promise<FaceView[]> {
    const rows = await this.faceRows(includeDescriptor, 'rf.image_id = $1', [imageId]);
    return rows.map((r) => faceView(r, includeDescriptor));
  }

  /** The faces of many images in one query (GraphQL loaders); images without faces map to []. */
  async facesOf(imageIds: readonly string[], includeDescriptor: boolean): Promise<Map<string, FaceView[]>> {
    const out = new Map<string, FaceView[]>(imageIds.map((id) => [id, []]));
    if (imageIds.length === 0) return out;
    const rows = await this.faceRows(includeDescriptor, 'rf.image_id = any($1::uuid[]) order by rf.image_id', [imageIds]);
    for (const r of rows) out.get(r.image_id)?.push(faceView(r, includeDescriptor));
    return out;
  }

  private async faceRows(includeDescriptor: boolean, where: string, values: unknown[]): Promise<FaceRow[]> {
    // The array is sealed in the log (src/privacy): read it whole and open it here, one key lookup
    // per image (cached), then shape it as the read model always answered.
    const { rows } = await this.pool.query<{ image_id: string; event_id: string | null; model_sha256: string; faces: unknown }>(
      `select rf.image_id, rf.event_id, i.model_sha256, ${this.facesArray} as faces from rm.faces rf join rm.images i using (image_id) where ${where}`,
      values,
    );
    const opened = this.opener
      ? await this.opener.openValues(rows.map((r) => ({ value: r.faces, stream: `image-${r.image_id}`, eventId: r.event_id ?? '', field: 'faces' })))
      : rows.map((r) => r.faces);
    const out: FaceRow[] = [];
    for (const [i, row] of rows.entries()) {
      const faces = opened[i];
      if (!Array.isArray(faces)) continue; // erased: no faces to show
      for (const [index, f] of (faces as StoredFace[]).entries()) {
        out.push({
          image_id: row.image_id,
          face_id: faceIdOf(row.image_id, row.model_sha256, index),
          box: f.box,
          score: f.score,
          landmarks: f.landmarks,
          descriptor: includeDescriptor ? f.descriptor.map(float32Shortest) : null,
        });
      }
    }
    return out;
  }

  /** Per-day totals; a user's own, or everyone's for admins and auditors. */
  async stats(viewer: Viewer, from: string, to: string): Promise<{ day: string; uploads: number; analyses: number; failures: number; faces: number; deletions: number }[]> {
    const values: unknown[] = [from, to];
    let owner = '';
    if (!seesEveryImage(viewer)) {
      values.push(viewer.userId);
      owner = ' and owner_id = $3';
    }
    const { rows } = await this.pool.query<{ day: string; uploads: string; analyses: string; failures: string; faces: string; deletions: string }>(
      `select day::text as day, sum(uploads)::text as uploads, sum(analyses)::text as analyses, sum(failures)::text as failures,
              sum(faces)::text as faces, sum(deletions)::text as deletions
         from rm.daily_stats where day between $1::date and $2::date${owner}
        group by day order by day`,
      values,
    );
    return rows.map((r) => ({ day: r.day, uploads: Number(r.uploads), analyses: Number(r.analyses), failures: Number(r.failures), faces: Number(r.faces), deletions: Number(r.deletions) }));
  }
}
