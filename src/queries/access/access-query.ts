// Reads rm.access_records (src/projections/access): newest first by (at, record id, subject id),
// keyset-paged with an opaque cursor that only continues the listing (filters) it came from.

import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { AccessRecord } from './shapes.js';

export type AccessRecordView = Static<typeof AccessRecord>;

export interface AccessListOptions {
  subjectId?: string | undefined;
  accessorId?: string | undefined;
  /** Inclusive lower and exclusive upper bound on `at`. */
  from?: Date | undefined;
  to?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

export class InvalidAccessCursorError extends Error {
  readonly code = 'invalid_cursor';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAccessCursorError';
  }
}

export const MAX_ACCESS_PAGE = 200;

interface Row {
  record_id: string;
  event_id: string;
  subject_id: string;
  accessor_id: string;
  accessor_role: AccessRecordView['accessor']['role'];
  image_ids: string[];
  fields: AccessRecordView['fields'];
  route: string;
  purpose: string | null;
  request_id: string;
  at: Date;
  position: string;
}

const filterTag = (o: AccessListOptions): string =>
  createHash('sha256')
    .update(JSON.stringify([o.subjectId ?? null, o.accessorId ?? null, o.from?.toISOString() ?? null, o.to?.toISOString() ?? null]))
    .digest('base64url')
    .slice(0, 12);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(r: Pick<Row, 'at' | 'record_id' | 'subject_id'>, tag: string): string {
  return Buffer.from(JSON.stringify([r.at.toISOString(), r.record_id, r.subject_id, tag]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, tag: string): [string, string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new InvalidAccessCursorError('the page cursor is not valid');
  }
  if (Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === 'string')) {
    const [at, recordId, subjectId, t] = value as [string, string, string, string];
    if (t !== tag) throw new InvalidAccessCursorError('the page cursor belongs to other filters');
    if (!Number.isNaN(Date.parse(at)) && UUID.test(recordId) && UUID.test(subjectId)) return [at, recordId, subjectId];
  }
  throw new InvalidAccessCursorError('the page cursor is not valid');
}

export class AccessQuery {
  constructor(private readonly pool: pg.Pool) {}

  async list(o: AccessListOptions): Promise<{ items: AccessRecordView[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(MAX_ACCESS_PAGE, Math.trunc(o.limit)));
    const tag = filterTag(o);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (o.subjectId !== undefined) where.push(`subject_id = ${param(o.subjectId)}::uuid`);
    if (o.accessorId !== undefined) where.push(`accessor_id = ${param(o.accessorId)}::uuid`);
    if (o.from !== undefined) where.push(`at >= ${param(o.from)}`);
    if (o.to !== undefined) where.push(`at < ${param(o.to)}`);
    if (o.cursor) {
      const [at, recordId, subjectId] = decodeCursor(o.cursor, tag);
      where.push(`(at, record_id, subject_id) < (${param(at)}::timestamptz, ${param(recordId)}::uuid, ${param(subjectId)}::uuid)`);
    }
    const { rows } = await this.pool.query<Row>(
      `select record_id::text, event_id::text, subject_id::text, accessor_id::text, accessor_role, image_ids::text[], fields, route, purpose, request_id, at, position
         from rm.access_records ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
        order by at desc, record_id desc, subject_id desc limit ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        recordId: r.record_id,
        eventId: r.event_id,
        subjectId: r.subject_id,
        accessor: { id: r.accessor_id, role: r.accessor_role },
        imageIds: r.image_ids,
        fields: r.fields,
        route: r.route,
        purpose: r.purpose,
        requestId: r.request_id,
        at: r.at.toISOString(),
        position: r.position,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last, tag) : null,
    };
  }
}
