// Read side of images (rm.images, rm.faces, rm.daily_stats). Visibility (domain/images/visibility.ts):
// a user sees only their own images; admins and auditors see all. What a viewer may not see does not exist (404).

import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { Viewer } from '../../domain/identity/viewer.js';
import { maySeeImage, seesEveryImage } from '../../domain/images/visibility.js';
import type { Face, Image, ImageStatus as ImageStatusShape } from './shapes.js';

export type { Viewer };

// The views are what the API returns (shapes.ts, TypeBox): written once, there.
export type ImageStatus = Static<typeof ImageStatusShape>;
export type FaceView = Static<typeof Face>;
export type ImageView = Static<typeof Image>;

interface ImageRow {
  image_id: string;
  owner_id: string;
  filename: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
  status: ImageStatus;
  face_count: number | null;
  model_name: string | null;
  model_version: string | null;
  model_sha256: string | null;
  analysis_ms: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  uploaded_at: Date;
  analyzed_at: Date | null;
  updated_at: Date;
  uploaded_key: string;
}

const COLUMNS = `image_id, owner_id, filename, content_type, bytes, width, height, sha256, status, face_count,
  model_name, model_version, model_sha256, analysis_ms, last_error_code, last_error_message,
  uploaded_at, analyzed_at, updated_at, uploaded_at::text as uploaded_key`;

function toView(r: ImageRow): ImageView {
  return {
    imageId: r.image_id,
    ownerId: r.owner_id,
    filename: r.filename,
    contentType: r.content_type,
    bytes: r.bytes,
    width: r.width,
    height: r.height,
    sha256: r.sha256,
    status: r.status,
    faceCount: r.face_count,
    model: r.model_name && r.model_version && r.model_sha256 ? { name: r.model_name, version: r.model_version, sha256: r.model_sha256 } : null,
    analysisMs: r.analysis_ms,
    error: r.last_error_code ? { code: r.last_error_code, message: r.last_error_message ?? '' } : null,
    uploadedAt: r.uploaded_at.toISOString(),
    analyzedAt: r.analyzed_at?.toISOString() ?? null,
    updatedAt: r.updated_at.toISOString(),
  };
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
function canonicalInstant(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidListFilterError('invalid_date', `'${value}' is not an ISO date-time`);
  return /\.\d{4,}/.test(value) ? value : new Date(ms).toISOString();
}

/** The list options a cursor is only valid for, normalised (everything but cursor and limit). */
export function listScope(opts: ImageListOptions): { ordering: ImageOrdering; status: ImageStatus | null; from: string | null; to: string | null } {
  const from = opts.uploadedFrom === undefined ? null : canonicalInstant(opts.uploadedFrom);
  const to = opts.uploadedTo === undefined ? null : canonicalInstant(opts.uploadedTo);
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
  constructor(private readonly pool: pg.Pool) {}

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
      `select ${COLUMNS} from rm.images where ${where.join(' and ')} order by uploaded_at ${direction}, image_id ${direction} limit $${values.length}`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const last = page.at(-1);
    return {
      items: page.map(toView),
      nextCursor: rows.length > opts.limit && last ? encodeCursor(last.uploaded_key, last.image_id, tag) : null,
      cursors: page.map((r) => encodeCursor(r.uploaded_key, r.image_id, tag)),
    };
  }

  /** Images by id in one query, deleted ones included, with no visibility check: for notifications. */
  async snapshots(imageIds: readonly string[]): Promise<ImageSnapshot[]> {
    if (imageIds.length === 0) return [];
    const { rows } = await this.pool.query<ImageRow & { revision: string; deleted: boolean }>(
      `select ${COLUMNS}, revision::text as revision, deleted_at is not null as deleted from rm.images where image_id = any($1::uuid[])`,
      [imageIds],
    );
    return rows.map((r) => ({ image: toView(r), revision: Number(r.revision), deleted: r.deleted }));
  }

  async get(viewer: Viewer, imageId: string): Promise<ImageView | undefined> {
    const { rows } = await this.pool.query<ImageRow>(`select ${COLUMNS} from rm.images where image_id = $1 and deleted_at is null`, [imageId]);
    const row = rows[0];
    if (!row || !maySeeImage(viewer, { ownerId: row.owner_id })) return undefined;
    return toView(row);
  }

  /**
   * rm.faces holds the analysis's faces as one jsonb array (descriptors as the event's float64),
   * by value or as a reference to the ImageAnalyzed event in es.events (migration 0007).
   * Descriptors are answered as before (float32: PostgreSQL's real, shortest digits), and only
   * read out of the array when asked for.
   */
  async faces(imageId: string, includeDescriptor: boolean): Promise<FaceView[]> {
    const { rows } = await this.pool.query<{ box: FaceView['box']; score: number; landmarks: [number, number][]; descriptor: number[] | null }>(
      `select f -> 'box' as box, (f ->> 'score')::float8 as score, f -> 'landmarks' as landmarks,
              ${includeDescriptor ? `array(select d::real from jsonb_array_elements_text(f -> 'descriptor') with ordinality as t(d, n) order by n)` : 'null'} as descriptor
         from rm.faces rf left join es.events ev on ev.id = rf.event_id,
              jsonb_array_elements(coalesce(rf.faces, ev.data -> 'faces')) with ordinality as e(f, i)
        where rf.image_id = $1 order by i`,
      [imageId],
    );
    return rows.map((r) => ({
      box: { x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height },
      score: r.score,
      landmarks: r.landmarks,
      ...(includeDescriptor && r.descriptor ? { descriptor: r.descriptor } : {}),
    }));
  }

  /** The faces of many images in one query (GraphQL loaders); images without faces map to []. */
  async facesOf(imageIds: readonly string[], includeDescriptor: boolean): Promise<Map<string, FaceView[]>> {
    const out = new Map<string, FaceView[]>(imageIds.map((id) => [id, []]));
    if (imageIds.length === 0) return out;
    const { rows } = await this.pool.query<{ image_id: string; box: FaceView['box']; score: number; landmarks: [number, number][]; descriptor: number[] | null }>(
      `select rf.image_id, f -> 'box' as box, (f ->> 'score')::float8 as score, f -> 'landmarks' as landmarks,
              ${includeDescriptor ? `array(select d::real from jsonb_array_elements_text(f -> 'descriptor') with ordinality as t(d, n) order by n)` : 'null'} as descriptor
         from rm.faces rf left join es.events ev on ev.id = rf.event_id,
              jsonb_array_elements(coalesce(rf.faces, ev.data -> 'faces')) with ordinality as e(f, i)
        where rf.image_id = any($1::uuid[]) order by rf.image_id, i`,
      [imageIds],
    );
    for (const r of rows) {
      out.get(r.image_id)?.push({
        box: { x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height },
        score: r.score,
        landmarks: r.landmarks,
        ...(includeDescriptor && r.descriptor ? { descriptor: r.descriptor } : {}),
      });
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
