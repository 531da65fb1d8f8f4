// The biometric access log's write side (issue 16 item 5): `record` appends one BiometricDataAccessed
// for a read of someone else's biometric data and resolves only once the append is durable; a
// caller serves the content after that, never before, so no response carries biometric data the
// log does not hold (a crash after the append leaves a record of a response that was never sent,
// never the reverse). A failed append rejects with AccessLogUnavailableError: the request fails.
//
// Batching: the records of concurrent requests for the same day go out as ONE append per shard
// stream (`access-YYYY-MM-DD-<n>`, ACCESS_SHARDS of them, expected revision `any`: there is no
// state to decide over). Each shard has at most one append in flight; a record goes to a free shard
// at once, or queues while every shard is busy, and a shard that returns takes everything queued
// (up to `maxBatch` records and a byte budget under the store's append limit) in its next append.
// A lone request waits for nobody (no timer), so batching costs latency only under load, where it
// is one append round trip at most. The PostgreSQL adapter's own batcher takes one append per
// stream per transaction (and two transactions in flight), so one stream per day would write a
// day's records one round trip at a time; the shards let its batches carry several at once.
//
// The day's `access_log` key is ensured before its first append (the sealing store seals the
// personal fields under it and never creates keys itself), once per day per process.

import type { AccessedSubject, AccessField, Accessor, BiometricDataAccessedData } from '../../domain/access/access-events.js';
import { ACCESS_SHARDS, accessStream, utcDayOf } from '../../domain/access/access-events.js';
import { accessPeriodSubject } from '../../domain/access/period-key.js';
import type { EventStore, NewEvent } from '../../eventstore/types.js';
import type { KeyStore } from '../../privacy/key-store.js';
import { SCHEMA_VERSION } from '../command-handler.js';

/** One read of biometric data, as the HTTP/GraphQL layer describes it. */
export interface AccessRequest {
  accessor: Accessor;
  /** Whose data the response holds (an image's owner) and which images; the accessor's own are dropped unless logSelf. */
  subjects: readonly AccessedSubject[];
  fields: readonly AccessField[];
  /** The route pattern (`GET /v1/images/:imageId`) or GraphQL operation (`graphql Query.image`). */
  route: string;
  purpose: string | null;
  requestId: string;
}

/** The recorder named as every access record's actor (the reader is in the sealed `accessor`). */
export const ACCESS_LOG_ACTOR = { id: 'access-log', kind: 'system' as const };

export class AccessLogUnavailableError extends Error {
  readonly code = 'access_log_unavailable';
  constructor(cause: unknown) {
    super(`the access record could not be written: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'AccessLogUnavailableError';
  }
}

export interface AccessLogDeps {
  store: Pick<EventStore, 'append' | 'limits'>;
  keys: Pick<KeyStore, 'ensureKey'>;
  /** ACCESS_LOG_SELF: record a subject's reads of their own data too. */
  logSelf: boolean;
  now?: () => Date;
  /** Most records per append (default 200). */
  maxBatch?: number;
}

/** Most images one record names (an audit page has at most 1 000 events). */
export const MAX_IMAGES_PER_RECORD = 1_000;

interface Pending {
  event: NewEvent;
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

interface DayQueue {
  queue: Pending[];
  /** Shards with an append in flight. */
  busy: boolean[];
}

/** The subjects of a read, merged per subject and without repeated images; the accessor's own unless logSelf. */
export function subjectsToRecord(req: Pick<AccessRequest, 'accessor' | 'subjects'>, logSelf: boolean): AccessedSubject[] {
  const bySubject = new Map<string, Set<string>>();
  for (const s of req.subjects) {
    if (!logSelf && s.subjectId === req.accessor.id) continue;
    let images = bySubject.get(s.subjectId);
    if (!images) bySubject.set(s.subjectId, (images = new Set()));
    for (const id of s.imageIds) images.add(id);
  }
  return [...bySubject].map(([subjectId, images]) => ({ subjectId, imageIds: [...images] }));
}

export class AccessLog {
  private readonly days = new Map<string, DayQueue>();
  private readonly keysEnsured = new Map<string, Promise<string>>();
  private readonly now: () => Date;
  private readonly maxBatch: number;
  /** Bytes of clear JSON per append: a quarter of the store's limit leaves room for sealing (base64, envelopes) and metadata. */
  private readonly maxBatchBytes: number;

  constructor(private readonly deps: AccessLogDeps) {
    this.now = deps.now ?? (() => new Date());
    this.maxBatch = Math.max(1, Math.min(deps.maxBatch ?? 200, deps.store.limits.eventsPerAppend));
    this.maxBatchBytes = Math.floor(deps.store.limits.appendMaxBytes / 4);
  }

  get logSelf(): boolean {
    return this.deps.logSelf;
  }

  /**
   * Records the access if it reads anyone else's data (or logSelf); resolves once durable. `recorded`
   * false: nothing to record (the accessor's own data only). Rejects with AccessLogUnavailableError.
   */
  async record(req: AccessRequest): Promise<{ recorded: boolean }> {
    const subjects = subjectsToRecord(req, this.deps.logSelf);
    if (subjects.length === 0) return { recorded: false };
    const imageCount = subjects.reduce((n, s) => n + s.imageIds.length, 0);
    if (imageCount > MAX_IMAGES_PER_RECORD) throw new AccessLogUnavailableError(new Error(`one record names at most ${MAX_IMAGES_PER_RECORD} images (got ${imageCount})`));
    const data: BiometricDataAccessedData = {
      accessor: { id: req.accessor.id, role: req.accessor.role },
      subjects,
      purpose: req.purpose,
      fields: [...new Set(req.fields)],
      route: req.route,
      requestId: req.requestId,
      imageCount,
    };
    // The actor in the clear metadata is the access log itself (every event names its actor): who
    // read is a sealed field, erased with the day's key, and must not outlive it in the clear.
    const event: NewEvent = { type: 'BiometricDataAccessed', data, metadata: { correlationId: req.requestId, causationId: req.requestId, actor: ACCESS_LOG_ACTOR, schemaVersion: SCHEMA_VERSION } };
    await this.enqueue(utcDayOf(this.now()), event, JSON.stringify(data).length + 200);
    return { recorded: true };
  }

  private enqueue(day: string, event: NewEvent, bytes: number): Promise<void> {
    let q = this.days.get(day);
    if (!q) this.days.set(day, (q = { queue: [], busy: new Array<boolean>(ACCESS_SHARDS).fill(false) }));
    const dayQueue = q;
    return new Promise<void>((resolve, reject) => {
      dayQueue.queue.push({ event, bytes, resolve, reject });
      const free = dayQueue.busy.indexOf(false);
      if (free >= 0) void this.flush(day, dayQueue, free);
    });
  }

  private async flush(day: string, q: DayQueue, shard: number): Promise<void> {
    q.busy[shard] = true;
    try {
      while (q.queue.length > 0) {
        const batch = this.take(q);
        try {
          await this.ensureKey(day);
          await this.deps.store.append(accessStream(day, shard), batch.map((p) => p.event), { expectedRevision: 'any' });
          for (const p of batch) p.resolve();
        } catch (err) {
          const failure = new AccessLogUnavailableError(err);
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      q.busy[shard] = false;
      // A day's queue is dropped once drained and idle (the next day gets its own).
      if (q.queue.length === 0 && !q.busy.includes(true) && this.days.get(day) === q) this.days.delete(day);
    }
  }

  private take(q: DayQueue): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < q.queue.length && n < this.maxBatch) {
      const next = q.queue[n]!;
      if (n > 0 && bytes + next.bytes > this.maxBatchBytes) break;
      bytes += next.bytes;
      n++;
    }
    return q.queue.splice(0, n);
  }

  private ensureKey(day: string): Promise<string> {
    let ensured = this.keysEnsured.get(day);
    if (!ensured) {
      ensured = this.deps.keys.ensureKey({ purpose: 'access_log', subjectId: accessPeriodSubject(day) });
      this.keysEnsured.set(day, ensured);
      // A failure is not remembered: the next record tries again. Old days are forgotten.
      ensured.catch(() => this.keysEnsured.delete(day));
      if (this.keysEnsured.size > 4) this.keysEnsured.delete(this.keysEnsured.keys().next().value!);
    }
    return ensured;
  }
}
