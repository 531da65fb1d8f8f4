// The biometric access log's write side (issue 16 item 5): `record` writes one access record for a
// read of someone else's biometric data and resolves only once it is durable; a caller serves the
// content after that, never before, so no response carries biometric data the log does not hold
// (a crash after the append leaves a record of a response that was never sent, never the reverse).
// A failed append rejects with AccessLogUnavailableError: the request fails.
//
// Batching (group commit): the records of concurrent requests for the same day go out as ONE
// BiometricDataAccessed event (its `records`, and their sealed `parties`) in ONE append, with
// expected revision `any` (there is no state to decide over). A process has at most one append in
// flight: a record goes out at once when none is, or queues, and the append that returns takes
// everything queued meanwhile (up to `maxBatch` records and a byte budget under the store's event
// limit) in the next. A lone request waits for nobody (no timer), so batching costs latency only
// under load, where it is one append round trip at most. Measured (bench/access-log-reads.ts, 32
// connections): an event per request cost each request an event's sealing, row, index entries and
// notary leaf, about 180 µs of the API's CPU and 86 µs of the database's; one event per append
// shares them, and one append in flight makes the batches twice as large as four shards did (11
// records per append against 5.5), which halved both again.
//
// Streams: each process appends to one of the day's ACCESS_SHARDS streams (`access-YYYY-MM-DD-<n>`,
// n from its pid unless given), so API replicas do not queue behind one stream's row lock.
//
// The day's `access_log` key is ensured before its first append (the sealing store seals the
// personal fields under it and never creates keys itself), once per day per process.

import { randomUUID } from 'node:crypto';
import type { AccessedSubject, AccessField, Accessor, AccessRecordFacts, AccessRecordParties, BiometricDataAccessedData } from '../../domain/access/access-events.js';
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
  /** An identification (a face search or verification, issue 17): recorded also when it searches the accessor's own gallery. */
  identification?: boolean;
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
  /** Which of the day's streams this process appends to (default: its pid modulo ACCESS_SHARDS). */
  shard?: number;
}

/** Most images one record names (an audit page has at most 1 000 events). */
export const MAX_IMAGES_PER_RECORD = 1_000;

interface Pending {
  facts: AccessRecordFacts;
  parties: AccessRecordParties;
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

interface DayQueue {
  queue: Pending[];
  /** An append is in flight. */
  busy: boolean;
}

/** The subjects of a read, merged per subject and without repeated images; the accessor's own unless logSelf. */
export function subjectsToRecord(req: Pick<AccessRequest, 'accessor' | 'subjects' | 'identification'>, logSelf: boolean): AccessedSubject[] {
  const bySubject = new Map<string, Set<string>>();
  for (const s of req.subjects) {
    if (!logSelf && !req.identification && s.subjectId === req.accessor.id) continue;
    let images = bySubject.get(s.subjectId);
    if (!images) bySubject.set(s.subjectId, (images = new Set()));
    for (const id of s.imageIds) images.add(id);
  }
  return [...bySubject].map(([subjectId, images]) => ({ subjectId, imageIds: [...images] }));
}

/**
 * The batch's one event. Its actor in the clear metadata is the access log itself (every event
 * names its actor): who read is a sealed field, erased with the day's key, and must not outlive it
 * in the clear. Its correlation id is a fresh one: the batch's records name their own requests.
 */
function batchEvent(batch: readonly Pending[]): NewEvent {
  const data: BiometricDataAccessedData = { records: batch.map((p) => p.facts), parties: batch.map((p) => p.parties) };
  const correlationId = randomUUID();
  return { type: 'BiometricDataAccessed', data, metadata: { correlationId, causationId: correlationId, actor: ACCESS_LOG_ACTOR, schemaVersion: SCHEMA_VERSION } };
}

export class AccessLog {
  private readonly days = new Map<string, DayQueue>();
  private readonly keysEnsured = new Map<string, Promise<string>>();
  private readonly now: () => Date;
  private readonly maxBatch: number;
  private readonly shard: number;
  /** Bytes of clear JSON per event: a quarter of the store's event limit leaves room for sealing (base64, envelope) and metadata. */
  private readonly maxBatchBytes: number;

  constructor(private readonly deps: AccessLogDeps) {
    this.now = deps.now ?? (() => new Date());
    this.maxBatch = Math.max(1, deps.maxBatch ?? 200);
    const shard = deps.shard ?? process.pid % ACCESS_SHARDS;
    if (!Number.isInteger(shard) || shard < 0 || shard >= ACCESS_SHARDS) throw new RangeError(`access log shard ${shard} is not in 0..${ACCESS_SHARDS - 1}`);
    this.shard = shard;
    this.maxBatchBytes = Math.floor(Math.min(deps.store.limits.eventMaxBytes, deps.store.limits.appendMaxBytes) / 4);
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
    const facts: AccessRecordFacts = { recordId: randomUUID(), fields: [...new Set(req.fields)], route: req.route, requestId: req.requestId, imageCount };
    const parties: AccessRecordParties = { accessor: { id: req.accessor.id, role: req.accessor.role }, subjects, purpose: req.purpose };
    // Clear JSON of both parts, plus the keys and separators around them.
    const bytes = 128 + req.route.length + req.requestId.length + (req.purpose?.length ?? 0) * 6 + imageCount * 39 + subjects.length * 60;
    await this.enqueue(utcDayOf(this.now()), { facts, parties, bytes });
    return { recorded: true };
  }

  private enqueue(day: string, record: Omit<Pending, 'resolve' | 'reject'>): Promise<void> {
    let q = this.days.get(day);
    if (!q) this.days.set(day, (q = { queue: [], busy: false }));
    const dayQueue = q;
    return new Promise<void>((resolve, reject) => {
      dayQueue.queue.push({ ...record, resolve, reject });
      if (!dayQueue.busy) void this.flush(day, dayQueue);
    });
  }

  private async flush(day: string, q: DayQueue): Promise<void> {
    q.busy = true;
    try {
      while (q.queue.length > 0) {
        const batch = this.take(q);
        try {
          await this.ensureKey(day);
          await this.deps.store.append(accessStream(day, this.shard), [batchEvent(batch)], { expectedRevision: 'any' });
          for (const p of batch) p.resolve();
        } catch (err) {
          const failure = new AccessLogUnavailableError(err);
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      q.busy = false;
      // A day's queue is dropped once drained and idle (the next day gets its own).
      if (q.queue.length === 0 && this.days.get(day) === q) this.days.delete(day);
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
