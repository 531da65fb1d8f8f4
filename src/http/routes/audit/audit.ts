// /v1/audit: the auditors' history APIs (the staff: roles auditor and admin) — the global feed
// with opaque cursors, one stream's history, an NDJSON export of the whole log, and a live SSE feed.

import { Readable } from 'node:stream';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STAFF_ROLES } from '../../../domain/identity/policies.js';
import type { Role } from '../../../domain/identity/roles.js';
import { cursorToPosition, positionToCursor, type Position } from '../../../eventstore/position.js';
import { parseRevision } from '../../../eventstore/revision.js';
import type { EventStore, RecordedEvent, Subscription } from '../../../eventstore/types.js';
import { AuditEvent as AuditEventShape, AuditFeedPage } from '../../../queries/audit/shapes.js';
import { AuditFeed, DEFAULT_FEED_LIMIT, MAX_FEED_LIMIT, toAuditEvent, type AuditEvent } from '../../../queries/audit/audit-feed.js';
import { parseInstant } from '../../../queries/dates.js';
import { DateTimeInput } from '../../../queries/shapes.js';
import type { Guard } from '../../auth-guard.js';
import { HttpProblem } from '../../problem.js';
import type { AccessLog } from '../../../commands/access/access-log.js';
import { subjectsOfEvents } from '../../../queries/access/biometric-content.js';
import type { ImageOwners } from '../../../queries/access/image-owners.js';
import { AUDIT_FACE_FIELDS, recordAccess, recordedInGroups } from '../../access-log-hook.js';
import { principalOf } from '../../auth-guard.js';
import { responses, text } from '../../schemas.js';
import type pg from 'pg';
import { storedExportLine, storedLog, type StoredEntry } from '../../../notary/stored-log.js';

export interface AuditRouteDeps {
  store: EventStore;
  requireRole: (...roles: Role[]) => Guard;
  /** Interval of SSE comment heartbeats (default 15 s). */
  heartbeatMs?: number;
  /** Most events a filtered feed request scans (default 10 000). */
  scanBound?: number;
  /** Responses that show ImageAnalyzed faces are access records first (issue 16). */
  access: { log: AccessLog; owners: ImageOwners };
  /** The raw (sealing-free) store and the pool for export.ndjson?form=stored (src/notary/stored-log.ts). */
  stored?: { store: EventStore; pool: pg.Pool };
}

// A cursor is validated by cursorToPosition (400 invalid_cursor), not by the schema.
const Cursor = Type.String({ maxLength: 64, description: 'Opaque position cursor (from nextCursor or an event position)' });
const security = [{ bearer: [] }];
const STREAM_NAME = Type.String({ minLength: 1, maxLength: 200, description: 'A stream name from the feed, e.g. user-<uuid> or image-<uuid>' });
/** Staff only (403 forbidden); reads of faces are in the access log first (503 access_log_unavailable). */
const STAFF_READ = { 400: ['invalid_cursor', 'invalid_access_purpose'], 403: ['forbidden'], 503: ['access_log_unavailable'] } as const;
const SSE_HEARTBEAT_MS = 15_000;
const NDJSON_CHUNK_BYTES = 64 * 1024;

function parseCursor(cursor: string | undefined): Position | undefined {
  return cursor === undefined || cursor === '' ? undefined : cursorToPosition(cursor);
}

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.length > 0 ? items : undefined;
}

export function auditRoutes(parent: FastifyInstance, deps: AuditRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const guard = deps.requireRole(...STAFF_ROLES);
  const feed = new AuditFeed(deps.store, { scanBound: deps.scanBound });
  const live = new Set<() => void>();
  // Before a response (page, export group, SSE frame) shows anyone's faces, its access is recorded.
  const recordFaces = async (request: FastifyRequest, events: Iterable<{ stream: string; type: string; data: unknown }>) =>
    recordAccess(deps.access.log, request, principalOf(request), await subjectsOfEvents(deps.access.owners, events), AUDIT_FACE_FIELDS);
  // Hijacked SSE responses would keep the server from closing: end them first.
  parent.addHook('preClose', (done) => {
    for (const end of live) end();
    done();
  });

  app.get(
    '/v1/audit/events',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: 'The global event log in commit order, paged with opaque cursors (poll with nextCursor)',
        security,
        querystring: Type.Object({
          after: Type.Optional(Cursor),
          limit: Type.Integer({ minimum: 1, maximum: MAX_FEED_LIMIT, default: DEFAULT_FEED_LIMIT }),
          type: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Comma-separated event types' })),
          stream: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Stream name prefix' })),
          actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'metadata.actor.id' })),
          from: Type.Optional(DateTimeInput({ description: 'recordedAt at or after' })),
          to: Type.Optional(DateTimeInput({ description: 'recordedAt at or before' })),
        }),
        response: responses({ 200: AuditFeedPage }, 400, 401, STAFF_READ),
      },
    },
    async (request) => {
      const q = request.query;
      const page = await feed.page({
        after: parseCursor(q.after),
        limit: q.limit,
        types: splitList(q.type),
        streamPrefix: q.stream,
        actorId: q.actor,
        from: q.from === undefined ? undefined : parseInstant(q.from, 'from'),
        to: q.to === undefined ? undefined : parseInstant(q.to, 'to'),
      });
      await recordFaces(request, page.events);
      return page;
    },
  );

  // A wildcard, not `:stream`: fastify caps parametric segments at 100 characters (414), and
  // stream names may have up to 200.
  app.get(
    '/v1/audit/streams/*',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: "One stream's history with revisions (paged by revision for very long streams)",
        security,
        params: Type.Object({ '*': STREAM_NAME }),
        wildcardParam: { name: 'streamName', schema: STREAM_NAME },
        querystring: Type.Object({
          // Checked by parseRevision (400 invalid_revision: not a decimal, or above 2^63 - 1).
          fromRevision: Type.Optional(Type.String({ maxLength: 64, description: 'First revision (inclusive; 0 to 2^63 - 1)' })),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 10_000 }),
        }),
        response: responses(
          { 200: Type.Object({ stream: Type.String(), events: Type.Array(AuditEventShape), nextRevision: Type.Union([Type.String(), Type.Null()]) }) },
          401,
          STAFF_READ,
          { 400: ['invalid_revision'], 404: ['stream_not_found'] },
        ),
      },
    },
    async (request) => {
      const stream = request.params['*'];
      const fromRevision = parseRevision(request.query.fromRevision ?? '0');
      const page = await feed.stream(stream, fromRevision, request.query.limit);
      if (page.events.length === 0 && fromRevision === 0n) throw new HttpProblem(404, 'stream_not_found', 'Not found', 'no events in this stream');
      await recordFaces(request, page.events);
      return { stream, ...page };
    },
  );

  app.get(
    '/v1/audit/export.ndjson',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: 'The whole log after a cursor as NDJSON (one event per line), streamed with backpressure',
        description:
          'form=stored: each event as stored (sealed fields as ciphertext, no personal content, so not a biometric access) with its notary treeIndex and leafHash ' +
          '(none yet for an event not notarised): what `facetrail audit:verify --export` and tools/facetrail-verify.mjs check against a checkpoint offline.',
        security,
        querystring: Type.Object({ after: Type.Optional(Cursor), form: Type.Optional(Type.Union([Type.Literal('opened'), Type.Literal('stored')], { description: 'opened (default): personal fields opened; stored: as stored, with notary leaves' })) }),
        response: responses(
          { 200: text('One JSON event per line (the shape of GET /v1/audit/events items)', 'application/x-ndjson', '{"id":"…","stream":"user-…","revision":"0","position":"…","type":"UserRegistered","data":{},"metadata":{},"recordedAt":"…"}\n') },
          401,
          STAFF_READ,
          { 501: ['stored_export_unavailable'] },
        ),
      },
    },
    async (request, reply) => {
      const after = parseCursor(request.query.after);
      if (request.query.form === 'stored') {
        if (!deps.stored) throw new HttpProblem(501, 'stored_export_unavailable', 'Stored-form export unavailable', 'this server has no raw store wired for form=stored');
        const stored = Readable.from(storedLines(storedLog(deps.stored.store, deps.stored.pool, after)), { objectMode: false, highWaterMark: NDJSON_CHUNK_BYTES });
        stored.on('error', (err) => request.log.warn({ err }, 'audit stored export aborted'));
        return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(stored);
      }
      const body = Readable.from(ndjsonChunks(recordedInGroups(feed.export(after), (group) => recordFaces(request, group))), { objectMode: false, highWaterMark: NDJSON_CHUNK_BYTES });
      body.on('error', (err) => request.log.warn({ err }, 'audit export aborted'));
      return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(body);
    },
  );

  app.get(
    '/v1/audit/live',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: 'Server-Sent Events: catch up after the cursor (or Last-Event-ID), then live events; heartbeats every 15 s',
        security,
        querystring: Type.Object({ after: Type.Optional(Cursor) }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Cursor) }),
        response: responses(
          { 200: text('Server-Sent Events: `id: <cursor>` and `data: <event JSON>` per event, `: heartbeat` comments; ends when the server stops', 'text/event-stream', 'id: 12-3\ndata: {"type":"UserRegistered"}\n\n') },
          401,
          STAFF_READ,
        ),
      },
    },
    async (request, reply) => {
      // Last-Event-ID (a reconnecting EventSource) wins over ?after.
      const resumeFrom = parseCursor(request.headers['last-event-id'] ?? request.query.after);
      const subscription = deps.store.subscribe({ from: resumeFrom ?? 'start' });
      reply.hijack();
      await serveSse(request, reply, subscription, deps.heartbeatMs ?? SSE_HEARTBEAT_MS, live, (e) => recordFaces(request, [e]));
    },
  );
}

/** Stored-form export lines joined into chunks of ~64 KiB. */
async function* storedLines(entries: AsyncIterable<StoredEntry>): AsyncGenerator<string> {
  let chunk = '';
  for await (const e of entries) {
    chunk += storedExportLine(e) + '\n';
    if (chunk.length >= NDJSON_CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** NDJSON lines joined into chunks of ~64 KiB (one write per chunk, not per event). */
async function* ndjsonChunks(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
  let chunk = '';
  for await (const e of events) {
    chunk += JSON.stringify(e) + '\n';
    if (chunk.length >= NDJSON_CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function serveSse(request: FastifyRequest, reply: FastifyReply, subscription: Subscription, heartbeatMs: number, live: Set<() => void>, beforeFrame: (e: RecordedEvent) => Promise<void>): Promise<void> {
  const res = reply.raw;
  let ended = false;
  let wakeDrain: (() => void) | undefined;
  // A comment line keeps proxies from timing the connection out (skipped while writes are queued).
  const heartbeat = setInterval(() => {
    if (!ended && res.headersSent && res.writableLength === 0) res.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    live.delete(end);
    wakeDrain?.();
    // Ends the iteration below: the subscription's pending wait resolves and it returns.
    void subscription.close();
    if (!res.writableEnded) res.end();
  };
  live.add(end);
  res.on('close', end);
  res.on('error', end);

  // Headers set by hooks (helmet, CORS) live on the reply; a hijacked response must copy them.
  const inherited: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) inherited[name] = value;
  res.writeHead(200, {
    ...inherited,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');

  try {
    for await (const e of subscription) {
      if (ended) break;
      await beforeFrame(e);
      const frame = `id: ${positionToCursor(e.position)}\nevent: ${e.type}\ndata: ${JSON.stringify(toAuditEvent(e))}\n\n`;
      if (!res.write(frame)) {
        // The client reads slowly: stop pulling from the store until the socket drains.
        await new Promise<void>((resolve) => {
          wakeDrain = resolve;
          res.once('drain', resolve);
        });
        wakeDrain = undefined;
      }
    }
  } catch (err) {
    if (!ended) request.log.warn({ err }, 'audit live feed failed');
  } finally {
    end();
  }
}
