// Issue 14, items 5 and 6, at the protocol level (what only an EventStoreDB server can send), over
// the scripted gRPC peer of tests/support/esdb-peer.ts. Not a substitute for the contract suite,
// which runs the same cases against a real server wherever ESDB_URL or Docker exists.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { InvalidCursorError, InvalidEventError, type NewEvent, type RecordedEvent } from '../../../src/eventstore/index.js';
import { ESDB_DEFAULT_MAX_APPEND_BYTES, eventBytes } from '../../../src/eventstore/validation.js';
import { startEsdbPeer, type EsdbPeer } from '../../support/esdb-peer.js';

let peer: EsdbPeer;
let store: EsdbEventStore;

beforeAll(async () => {
  peer = await startEsdbPeer();
  store = new EsdbEventStore(peer.url);
});

afterAll(async () => {
  await store?.close();
  await peer?.close();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('cursors on EventStoreDB (item 6)', () => {
  // The server answers a read from a position that names no record with InvalidPosition; the
  // client knows no class for it and reports an UnknownError.
  const answers: [string, grpc.status, string][] = [
    ['OUT_OF_RANGE', grpc.status.OUT_OF_RANGE, 'Invalid position.'],
    ['UNKNOWN with the message', grpc.status.UNKNOWN, 'Invalid position'],
  ];
  for (const [label, code, details] of answers) it(`InvalidPosition from the server (${label}) becomes InvalidCursorError (400 invalid_cursor)`, async () => {
    peer.onRead((read, reply) => {
      if (read.subscription) return reply.confirm();
      if (typeof read.from === 'object') return reply.error(code, details);
      reply.end();
    });
    const from = { commit: 1234n, prepare: 1233n };
    const err = await collect(store.readAll({ from })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCursorError);
    expect((err as InvalidCursorError).code).toBe('invalid_cursor');
    expect((err as InvalidCursorError).message).toContain('1234-1233');
  });

  it('a server that reports 0-0 positions (older than 22.6) is refused, not read as "caught up"', async () => {
    peer.onRead((read, reply) => {
      if (read.subscription) return reply.confirm();
      reply.event({ stream: 'f14-old', type: 'A', revision: 0n, position: { commit: 0n, prepare: 0n }, data: {} });
      reply.end();
    });
    const result = await collect(store.readStream('f14-old')).catch((e: unknown) => e);
    expect(Array.isArray(result) ? (result as RecordedEvent[]).map((e) => e.position) : undefined, 'events with position 0-0 were delivered').toBeUndefined();
    expect((result as Error).message).toMatch(/22\.6/);
  });
});

describe('append limits on EventStoreDB (item 5)', () => {
  /** One event of exactly `size` bytes as the server's MaxAppendSize counts it. */
  const ofSize = (size: number): NewEvent => {
    const metadata = { actor: { id: 'tester', kind: 'system' as const } };
    const overhead = eventBytes('Blob', JSON.stringify({ b: '' }), JSON.stringify(metadata));
    return { type: 'Blob', data: { b: 'x'.repeat(size - overhead) }, metadata };
  };

  it("the port's limit is the server's MaxAppendSize (1 MiB by default), configurable", () => {
    expect(store.limits.appendMaxBytes).toBe(ESDB_DEFAULT_MAX_APPEND_BYTES);
    expect(ESDB_DEFAULT_MAX_APPEND_BYTES).toBe(1024 * 1024);
    const bigger = new EsdbEventStore(peer.url, { maxAppendBytes: 4 * 1024 * 1024 });
    expect(bigger.limits.appendMaxBytes).toBe(4 * 1024 * 1024);
    expect(bigger.limits.eventMaxBytes).toBe(1024 * 1024);
    void bigger.close();
  });

  it('one byte over is refused before anything is sent; exactly at the limit is sent', async () => {
    const before = peer.appends.length;
    const half = ESDB_DEFAULT_MAX_APPEND_BYTES / 2;
    const err = await store.append('f14-over', [ofSize(half), ofSize(half + 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).code).toBe('append_too_large');
    expect(peer.appends.slice(before), 'the oversize append reached the server').toEqual([]);

    await store.append('f14-at', [ofSize(half), ofSize(half)]).catch(() => undefined);
    expect(peer.appends.slice(before)).toContain('f14-at');
  });
});
