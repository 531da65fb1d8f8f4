// The EventStore port with personal fields sealed (DESIGN.md §9): on append, every field a module
// declares personal is replaced by {"$sealed": {kid, iv, ct}} under its subject's live data key
// (AES-256-GCM, additional data = stream, event id and field); on every read the envelope is opened
// again, or reads as {"$erased": true} once its key is shredded. Everything else passes through,
// so both stores, every role, the CLI and the contract suite see the same behaviour.
//
// Fields a reader omits (EventFilter.omitData) are opened only where the store delivers them: the
// PostgreSQL store leaves them out in SQL, so nothing of them reaches this wrapper, and the reader
// can refer to them in the log (EventStore.localData); EventStoreDB delivers them, and a reader
// without localData needs them by value (the images projection stores the filename and the faces
// opened), so they are opened and passed on like every other field.

import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { EventStore, NewEvent, ReadAllOptions, RecordedEvent, ReadStreamOptions, SubscribeOptions, Subscription, Position } from '../eventstore/types.js';
import { open, seal } from './aead.js';
import { ERASED, isSealed, type PersonalDataDeclaration, type PersonalFields, type SealedValue } from './declarations.js';
import { SealIntegrityError } from './errors.js';
import type { KeyStore } from './key-store.js';
import { readyChunks } from './ready-chunks.js';
import { openCopies, sealCopies } from './sealed-copies.js';
import { comparePositions } from '../eventstore/position.js';
import { decorateEventStore } from '../eventstore/decorate.js';

function later(a: Position | undefined, b: Position | undefined): Position | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return comparePositions(a, b) >= 0 ? a : b;
}

/** Events opened per key lookup on a read (what is already buffered, up to this many). */
const OPEN_CHUNK = 1_000;

export type PersonalDataRegistry = ReadonlyMap<string, PersonalFields>;

/** One registry from every module's declaration; an event type declared twice is a programming error. */
export function personalDataRegistry(...declarations: PersonalDataDeclaration[]): PersonalDataRegistry {
  const registry = new Map<string, PersonalFields>();
  for (const declaration of declarations) {
    for (const [type, fields] of Object.entries(declaration)) {
      if (registry.has(type)) throw new Error(`personal data of ${type} is declared twice`);
      registry.set(type, fields);
    }
  }
  return registry;
}

/** The additional data a sealed field is bound to: moving it to another field, event or stream fails authentication. */
export function sealedFieldAad(stream: string, eventId: string, field: string): string {
  return `facetrail/v1|${stream}|${eventId}|${field}`;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

/** Opens sealed values of stored events, given their keys (null = shredded). */
export class FieldOpener {
  constructor(private readonly keys: KeyStore) {}

  /** Opens every sealed top-level field of these events (one key lookup for all). */
  async openEvents(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const kids: string[] = [];
    for (const event of events) forEachSealed(event.data, (_field, value) => kids.push(value.$sealed.kid));
    if (kids.length === 0) return events as RecordedEvent[];
    const keys = await this.keys.keys(kids);
    return events.map((event) => {
      let data: Record<string, unknown> | undefined;
      forEachSealed(event.data, (field, value) => {
        data ??= { ...(event.data as Record<string, unknown>) };
        data[field] = openWith(keys.get(value.$sealed.kid) ?? null, value, event.stream, event.id, field);
      });
      return data ? { ...event, data } : event;
    });
  }

  /**
   * Sealed values read back from the log by reference (one key lookup for all): each one's content,
   * the erasure mark, or the value itself when it is not sealed.
   */
  async openValues(items: readonly { value: unknown; stream: string; eventId: string; field: string }[]): Promise<unknown[]> {
    const kids = items.flatMap((i) => (isSealed(i.value) ? [i.value.$sealed.kid] : []));
    const keys = kids.length > 0 ? await this.keys.keys(kids) : new Map<string, Buffer | null>();
    return items.map((i) => (isSealed(i.value) ? openWith(keys.get(i.value.$sealed.kid) ?? null, i.value, i.stream, i.eventId, i.field) : i.value));
  }
}

/**
 * Ciphertext does not compress (the store's lz4/pglz TOAST compression gains nothing on it), so a
 * large value is deflated before it is sealed: an analysis's faces (~11 KB of JSON numbers) seal
 * to about half, which keeps the log near its unsealed size. Marked by a leading NUL byte, which
 * no JSON text starts with, so values sealed without it open unchanged.
 */
const DEFLATED = 0x00;
const DEFLATE_FROM_BYTES = 512;
/** Bound on an inflated value (far above any append a store accepts). */
const MAX_PLAINTEXT_BYTES = 64 * 1024 * 1024;

function plaintextOf(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  if (json.length < DEFLATE_FROM_BYTES) return json;
  const deflated = deflateRawSync(json, { level: 6 });
  return deflated.length + 1 < json.length ? Buffer.concat([Buffer.of(DEFLATED), deflated]) : json;
}

function valueOf(plain: Buffer): unknown {
  const json = plain[0] === DEFLATED ? inflateRawSync(plain.subarray(1), { maxOutputLength: MAX_PLAINTEXT_BYTES }) : plain;
  return JSON.parse(json.toString('utf8')) as unknown;
}

function openWith(key: Buffer | null, value: SealedValue, stream: string, eventId: string, field: string): unknown {
  if (key === null) return ERASED;
  const plain = open(key, { iv: Buffer.from(value.$sealed.iv, 'base64url'), ct: Buffer.from(value.$sealed.ct, 'base64url') }, sealedFieldAad(stream, eventId, field));
  if (!plain) throw new SealIntegrityError(`${stream}/${eventId}.${field}`);
  return valueOf(plain);
}

function forEachSealed(data: unknown, fn: (field: string, value: SealedValue) => void): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
  // Every event of a replay passes here twice: no allocation per event, a cheap test per field.
  for (const field in data) {
    const value = (data as Record<string, unknown>)[field];
    if (typeof value === 'object' && value !== null && '$sealed' in value && Object.hasOwn(data, field) && isSealed(value)) fn(field, value);
  }
}

async function* opened(opener: FieldOpener, source: AsyncIterable<RecordedEvent>, delivered?: (e: RecordedEvent, last: boolean) => void): AsyncGenerator<RecordedEvent> {
  for await (const chunk of readyChunks(source, OPEN_CHUNK)) {
    const events = await opener.openEvents(chunk);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      delivered?.(event, i === events.length - 1);
      yield event;
    }
  }
}

/**
 * A finite read (readAll, readStream), opened ahead: two chunks are in flight, so the store reads
 * the next page while this chunk's keys are looked up, and both overlap the reader's work — the key
 * store's round trip does not stall a replay. Not for subscriptions: a chunk pulled ahead would be
 * past the checkpoint they report.
 */
async function* openedAhead(opener: FieldOpener, source: AsyncIterable<RecordedEvent>): AsyncGenerator<RecordedEvent> {
  const chunks = readyChunks(source, OPEN_CHUNK);
  // Calls to next() queue in order: the second reads on while the first chunk's keys are fetched.
  const pull = (): Promise<RecordedEvent[] | undefined> => {
    const p = chunks.next().then((r) => (r.done ? undefined : opener.openEvents(r.value)));
    // Left unawaited when the reader stops early: its failure is not this reader's any more.
    p.catch(() => undefined);
    return p;
  };
  const ahead = [pull(), pull()];
  try {
    for (;;) {
      const events = await ahead.shift()!;
      if (!events) return;
      ahead.push(pull());
      yield* events;
    }
  } finally {
    await chunks.return(undefined);
  }
}

export function sealEventStore(inner: EventStore, keys: KeyStore, registry: PersonalDataRegistry): EventStore {
  const opener = new FieldOpener(keys);

  async function sealEvent(stream: string, event: NewEvent): Promise<NewEvent> {
    const declared = registry.get(event.type);
    if (!declared || typeof event.data !== 'object' || event.data === null) return event;
    const data = event.data as Record<string, unknown>;
    const fields = declared.fields.filter((f) => data[f] !== undefined && !isSealed(data[f]));
    if (fields.length === 0) return event;
    const id = event.id ?? randomUUID();
    const { kid, key } = await keys.liveKey(declared.key(stream, data));
    const sealedData = { ...data };
    for (const field of fields) {
      const { iv, ct } = seal(key, plaintextOf(data[field]), sealedFieldAad(stream, id, field));
      sealedData[field] = { $sealed: { kid, iv: b64(iv), ct: b64(ct) } } satisfies SealedValue;
    }
    return { ...event, id, data: sealedData };
  }

  const sealing: Pick<EventStore, 'append' | 'readStream' | 'readAll' | 'subscribe' | 'dataKeys'> = {
    dataKeys: {
      ensureKey: (scope) => keys.ensureKey(scope),
      keyedHash: (name, value) => keys.keyedHash(name, value),
      sealCopies: (scope, items) => sealCopies(keys, scope, items),
      openCopies: (items) => openCopies(keys, items),
    },
    async append(stream, events, opts) {
      const sealed = await Promise.all(events.map((e) => sealEvent(stream, e)));
      return inner.append(stream, sealed, opts);
    },
    readStream(stream: string, opts?: ReadStreamOptions) {
      return openedAhead(opener, inner.readStream(stream, opts));
    },
    readAll(opts?: ReadAllOptions) {
      return openedAhead(opener, inner.readAll(opts));
    },
    subscribe(opts: SubscribeOptions): Subscription {
      const sub = inner.subscribe(opts);
      // While events pulled from the store wait in a chunk, the store's checkpoint may be past them:
      // until the chunk is handed over, the checkpoint is the last event delivered.
      let buffered = false;
      let safe: Position | undefined;
      let iterator: AsyncGenerator<RecordedEvent> | undefined;
      return {
        close: () => sub.close(),
        checkpoint: () => (buffered ? safe : sub.checkpoint()),
        [Symbol.asyncIterator]() {
          iterator ??= (async function* () {
            for await (const event of opened(opener, trackBuffer(sub), (e, last) => {
              safe = e.position;
              buffered = !last;
            })) {
              yield event;
            }
          })();
          return iterator;
        },
      };
      async function* trackBuffer(source: AsyncIterable<RecordedEvent>): AsyncGenerator<RecordedEvent> {
        for await (const event of source) {
          if (!buffered) {
            // The store's checkpoint before it hands over this event covers what was delivered.
            safe = later(safe, sub.checkpoint());
            buffered = true;
          }
          yield event;
        }
      }
    },
  };
  // Everything else (kind, limits, localData, headPosition, ping, close, an adapter's own
  // diagnostics) is the adapter's own.
  return decorateEventStore(inner, sealing);
}
