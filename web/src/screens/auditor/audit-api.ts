// What the auditor screens read from the API, typed as the server's schemas give it:
// /v1/audit/events (the feed), /v1/audit/streams/* (one stream), /v1/audit/checkpoints and
// /v1/audit/events/{id}/proof (the notary), /v1/audit/access (the access log), and images as they
// were (GET /v1/images/{id}?asOf=).

import { get } from '../../api/client.js';
import type { Checkpoint, ConsistencyProof, InclusionProof } from './notary-shapes.js';

export type { Checkpoint, ConsistencyProof, InclusionProof } from './notary-shapes.js';

export interface AuditEvent {
  id: string;
  stream: string;
  revision: string;
  position: string;
  type: string;
  data: unknown;
  metadata: { actor?: { id?: string; kind?: string; role?: string } } & Record<string, unknown>;
  recordedAt: string;
}

export interface FeedFilter {
  type?: string;
  stream?: string;
  actor?: string;
  from?: string;
  to?: string;
}

export const FEED_PAGE = 100;

function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function feedPage(filter: FeedFilter, after: string | undefined, signal?: AbortSignal) {
  return get<{ events: AuditEvent[]; nextCursor: string }>(`/v1/audit/events${queryString({ ...filter, after, limit: FEED_PAGE })}`, { signal });
}

/** Every event of one stream (its pages joined; at most `max` events). */
export async function streamHistory(stream: string, signal?: AbortSignal, max = 5_000): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let from: string | null = '0';
  while (from !== null && out.length < max) {
    const page: { events: AuditEvent[]; nextRevision: string | null } = await get(`/v1/audit/streams/${encodeURIComponent(stream)}${queryString({ fromRevision: from, limit: 1000 })}`, { signal });
    out.push(...page.events);
    from = page.nextRevision;
  }
  return out;
}

export interface Face {
  faceId: string;
  box: { x: number; y: number; width: number; height: number };
  score: number;
}

export interface ImageThen {
  imageId: string;
  ownerId: string;
  filename: string;
  width: number;
  height: number;
  status: 'pending' | 'analyzed' | 'failed';
  faceCount: number | null;
  model: { name: string; version: string; sha256: string } | null;
  error: { code: string; message: string } | null;
  analyzedAt: string | null;
  faces: Face[];
  asOf: string;
  revision: string;
}

export const imageAsOf = (imageId: string, position: string, signal?: AbortSignal) => get<ImageThen>(`/v1/images/${encodeURIComponent(imageId)}${queryString({ asOf: position })}`, { signal });

export const latestCheckpoint = (signal?: AbortSignal) => get<Checkpoint>('/v1/audit/checkpoints/latest', { signal });
export const checkpointPage = (cursor: string | undefined, limit = 20) => get<{ checkpoints: Checkpoint[]; nextCursor: string | null }>(`/v1/audit/checkpoints${queryString({ limit, cursor })}`);
export const inclusionProof = (eventId: string, checkpoint: number | undefined) =>
  get<InclusionProof>(`/v1/audit/events/${encodeURIComponent(eventId)}/proof${queryString({ checkpoint })}`);
export const consistencyProof = (from: number, to: number) => get<ConsistencyProof>(`/v1/audit/checkpoints/consistency${queryString({ from, to })}`);

export interface AccessRecord {
  recordId: string;
  eventId: string;
  subjectId: string;
  accessor: { id: string; role: 'user' | 'auditor' | 'admin' };
  imageIds: string[];
  fields: string[];
  route: string;
  purpose: string | null;
  requestId: string;
  at: string;
  position: string;
}

export interface AccessFilter {
  subject?: string;
  accessor?: string;
  from?: string;
  to?: string;
}

export const ACCESS_PAGE = 50;
export const accessPage = (filter: AccessFilter, cursor: string | undefined, signal?: AbortSignal) =>
  get<{ items: AccessRecord[]; nextCursor: string | null }>(`/v1/audit/access${queryString({ ...filter, cursor, limit: ACCESS_PAGE })}`, { signal });

/** The image id of an image stream (image-<uuid>), else undefined. */
export function imageIdOf(stream: string): string | undefined {
  const m = /^image-([0-9a-f-]{36})$/i.exec(stream);
  return m?.[1];
}
