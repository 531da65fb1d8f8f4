// Read side of images (rm.images, rm.faces, rm.daily_stats). Visibility: a user sees only their
// own images; admins and auditors see all. What a viewer may not see does not exist (404).

import type pg from 'pg';
import type { Role } from '../domain/identity/roles.js';

export interface Viewer {
  userId: string;
  role: Role;
}

export type ImageStatus = 'pending' | 'analyzed' | 'failed';

export interface FaceView {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: [number, number][];
  descriptor?: number[];
}

export interface ImageView {
  imageId: string;
  ownerId: string;
  filename: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
  status: ImageStatus;
  faceCount: number | null;
  model: { name: string; version: string; sha256: string } | null;
  analysisMs: number | null;
  error: { code: string; message: string } | null;
  uploadedAt: string;
  analyzedAt: string | null;
  updatedAt: string;
}

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

const seesAll = (v: Viewer) => v.role === 'admin' || v.role === 'auditor';

export class InvalidPageCursorError extends Error {
  readonly code = 'invalid_cursor';
}

function encodeCursor(uploadedKey: string, imageId: string): string {
  return Buffer.from(JSON.stringify([uploadedKey, imageId])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && /^[0-9a-f-]{36}$/.test(value[1]) && !Number.isNaN(Date.parse(value[0]))) {
      return [value[0], value[1]];
    }
  } catch {
    /* fall through */
  }
  throw new InvalidPageCursorError('the page cursor is not valid');
}

export class ImagesQuery {
  constructor(private readonly pool: pg.Pool) {}

  /** Newest first, keyset-paginated: a cursor always continues after the same row. */
  async list(viewer: Viewer, opts: { status?: ImageStatus; cursor?: string; limit: number }): Promise<{ items: ImageView[]; nextCursor: string | null }> {
    const values: unknown[] = [];
    const where = ['deleted_at is null'];
    if (!seesAll(viewer)) {
      values.push(viewer.userId);
      where.push(`owner_id = $${values.length}`);
    }
    if (opts.status) {
      values.push(opts.status);
      where.push(`status = $${values.length}`);
    }
    if (opts.cursor) {
      const [key, id] = decodeCursor(opts.cursor);
      values.push(key, id);
      where.push(`(uploaded_at, image_id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(opts.limit + 1);
    const { rows } = await this.pool.query<ImageRow>(
      `select ${COLUMNS} from rm.images where ${where.join(' and ')} order by uploaded_at desc, image_id desc limit $${values.length}`,
      values,
    );
    const page = rows.slice(0, opts.limit);
    const last = page.at(-1);
    return { items: page.map(toView), nextCursor: rows.length > opts.limit && last ? encodeCursor(last.uploaded_key, last.image_id) : null };
  }

  async get(viewer: Viewer, imageId: string): Promise<ImageView | undefined> {
    const { rows } = await this.pool.query<ImageRow>(`select ${COLUMNS} from rm.images where image_id = $1 and deleted_at is null`, [imageId]);
    const row = rows[0];
    if (!row || (!seesAll(viewer) && row.owner_id !== viewer.userId)) return undefined;
    return toView(row);
  }

  /**
   * rm.faces holds the analysis's faces as one jsonb array, descriptors as the event's float64.
   * Descriptors are answered as before (float32: PostgreSQL's real, shortest digits), and only
   * read out of the array when asked for.
   */
  async faces(imageId: string, includeDescriptor: boolean): Promise<FaceView[]> {
    const { rows } = await this.pool.query<{ box: FaceView['box']; score: number; landmarks: [number, number][]; descriptor: number[] | null }>(
      `select f -> 'box' as box, (f ->> 'score')::float8 as score, f -> 'landmarks' as landmarks,
              ${includeDescriptor ? `array(select d::real from jsonb_array_elements_text(f -> 'descriptor') with ordinality as t(d, n) order by n)` : 'null'} as descriptor
         from rm.faces, jsonb_array_elements(faces) with ordinality as e(f, i)
        where image_id = $1 order by i`,
      [imageId],
    );
    return rows.map((r) => ({
      box: { x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height },
      score: r.score,
      landmarks: r.landmarks,
      ...(includeDescriptor && r.descriptor ? { descriptor: r.descriptor } : {}),
    }));
  }

  /** Per-day totals; a user's own, or everyone's for admins and auditors. */
  async stats(viewer: Viewer, from: string, to: string): Promise<{ day: string; uploads: number; analyses: number; failures: number; faces: number; deletions: number }[]> {
    const values: unknown[] = [from, to];
    let owner = '';
    if (!seesAll(viewer)) {
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
