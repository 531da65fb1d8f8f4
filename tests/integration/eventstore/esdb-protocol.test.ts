// Protocol-level tests of the EventStoreDB adapter against a scripted gRPC peer
// (tests/support/esdb-peer.ts), for what only a server can send or withhold: checkpoint messages,
// the head a from-'end' subscription starts at, a refused connection, a silent server, and which
// append RPC the client uses. Not a substitute for the contract suite (contract.ts).

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStoreUnavailableError, comparePositions, type Position } from '../../../src/eventstore/index.js';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { eventually } from '../../../support/eventually.js';
import { startEsdbPeer, type EsdbPeer } from '../../support/esdb-peer.js';
import { take } from './contract.js';

const BOUND_MS = 10_000;

/** Settles as `p` does, or rejects after `ms` (so a hang fails the test instead of timing it out). */
function bounded<T>(p: Promise<T>, ms = BOUND_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const pos = (n: bigint): Position => ({ commit: n, prepare: n });

let peer: EsdbPeer | undefined;
let store: EsdbEventStore | undefined;
let extra: (() => Promise<void>) | undefined;
afterEach(async () => {
  await store?.close().catch(() => undefined);
  await peer?.close();
  await extra?.();
  store = undefined;
  peer = undefined;
  extra = undefined;
});

describe('EventStoreDB adapter against a scripted peer', () => {
  it('a checkpoint message after an event moves checkpoint() past filtered-out events once the event is consumed', async () => {
    peer = await startEsdbPeer();
    peer.onRead((read, reply) => {
      if (!read.subscription) return reply.end();
      reply.confirm();
      reply.event({ stream: 'a-1', type: 'A', revision: 0n, position: pos(100n) });
      reply.checkpoint(pos(901n)); // B's events, filtered out by the server, before 901 (one at 900)
    });
    store = new EsdbEventStore(peer.url);
    const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: ['a-'] } });
    const [a] = await take(sub, 1);
    expect(a!.stream).toBe('a-1');
    // The consumer asks for the next event (there is none): the checkpoint behind A is now due.
    const next = sub[Symbol.asyncIterator]().next();
    next.catch(() => undefined);
    await eventually(() => Promise.resolve(comparePositions(sub.checkpoint() ?? pos(0n), pos(900n)) >= 0), 'checkpoint() reaches 900', BOUND_MS);
    expect(peer.reads.find((r) => r.subscription)?.filter).toMatchObject({ on: 'stream', prefixes: ['a-'] });
    await sub.close();
  });

  it('a checkpoint is not exposed before the events buffered ahead of it are consumed', async () => {
    peer = await startEsdbPeer();
    const n = 20; // more than the client's buffer of 16
    peer.onRead((read, reply) => {
      if (!read.subscription) return reply.end();
      reply.confirm();
      for (let i = 0; i < n; i++) reply.event({ stream: 'a-1', type: 'A', revision: BigInt(i), position: pos(BigInt(100 + i)) });
      reply.checkpoint(pos(5_001n));
    });
    store = new EsdbEventStore(peer.url);
    const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: ['a-'] } });
    const first = await take(sub, 1);
    // Give the client time to buffer the rest and reach the checkpoint (the assertions hold either way).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen = [...first];
    while (seen.length < n) {
      const cp = sub.checkpoint();
      expect(cp && comparePositions(cp, pos(5_000n)) >= 0, `checkpoint exposed after ${seen.length} of ${n} events`).toBeFalsy();
      seen.push(...(await take(sub, 1)));
      // Let the client refill its buffer and handle the checkpoint message meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen.map((e) => Number(e.position.commit))).toEqual(Array.from({ length: n }, (_, i) => 100 + i));
    const next = sub[Symbol.asyncIterator]().next();
    next.catch(() => undefined);
    await eventually(() => Promise.resolve(comparePositions(sub.checkpoint() ?? pos(0n), pos(5_000n)) >= 0), 'checkpoint() reaches 5000', BOUND_MS);
    await sub.close();
  });

  it('an idle tail of other streams moves checkpoint() up to the entry before the first match still on its way', async () => {
    peer = await startEsdbPeer();
    let withMatch = false;
    peer.onRead((read, reply) => {
      if (read.subscription) return reply.confirm(); // sends nothing more: no checkpoint message either
      if (read.direction === 'forwards') {
        reply.event({ stream: 'b-1', type: 'B', revision: 0n, position: pos(300n) });
        reply.event({ stream: 'b-1', type: 'B', revision: 1n, position: pos(400n) });
        if (withMatch) reply.event({ stream: 'a-1', type: 'A', revision: 0n, position: pos(500n) });
        reply.event({ stream: 'b-1', type: 'B', revision: 2n, position: pos(600n) });
      }
      reply.end();
    });
    store = new EsdbEventStore(peer.url, { idleScanMs: 20 });
    const sub = store.subscribe({ from: 'start', filter: { streamPrefixes: ['a-'] } });
    const next = sub[Symbol.asyncIterator]().next();
    next.catch(() => undefined);
    await eventually(() => Promise.resolve(sub.checkpoint()?.commit === 600n), 'checkpoint() reaches 600', BOUND_MS);
    await sub.close();

    withMatch = true;
    const sub2 = store.subscribe({ from: pos(200n), filter: { streamPrefixes: ['a-'] } });
    const next2 = sub2[Symbol.asyncIterator]().next();
    next2.catch(() => undefined);
    await eventually(() => Promise.resolve(sub2.checkpoint()?.commit === 400n), 'checkpoint() reaches 400', BOUND_MS);
    // a-1@500 is not delivered yet: the checkpoint must stay before it.
    await eventually(() => Promise.resolve(peer!.reads.filter((r) => !r.subscription && r.direction === 'forwards').length >= 4), 'more idle scans', BOUND_MS);
    expect(sub2.checkpoint()?.commit).toBe(400n);
    await sub2.close();
  });

  it("subscribe({from:'end'}) starts at the head read at the call, not at the server's END", async () => {
    peer = await startEsdbPeer();
    peer.onRead((read, reply) => {
      if (read.subscription) return reply.confirm();
      if (read.direction === 'backwards') reply.event({ stream: 'a-1', type: 'A', revision: 0n, position: pos(700n) });
      reply.end();
    });
    store = new EsdbEventStore(peer.url);
    const sub = store.subscribe({ from: 'end', filter: { streamPrefixes: ['a-'] } });
    const pending = sub[Symbol.asyncIterator]().next();
    pending.catch(() => undefined);
    const subscription = await eventually(() => Promise.resolve(peer!.reads.find((r) => r.subscription)), 'the subscription request', BOUND_MS);
    expect(subscription.from).toEqual(pos(700n));
    await sub.close();
  });

  it('a connection refused before iteration fails the iterator with EventStoreUnavailableError', async () => {
    const closed = net.createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as net.AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    store = new EsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`);
    const sub = store.subscribe({ from: 'start' });
    // The connection fails before anyone iterates.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const err = await bounded(sub[Symbol.asyncIterator]().next()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('ping() rejects within its deadline when a TCP peer accepts and says nothing', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    const port = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as net.AddressInfo).port)));
    extra = async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    };
    store = new EsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { pingTimeoutMs: 500 });
    const err = await bounded(store.ping()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('ping() rejects within its deadline when the gRPC peer never answers the read', async () => {
    peer = await startEsdbPeer();
    peer.onRead(() => undefined); // accepts the call, sends nothing
    store = new EsdbEventStore(peer.url, { pingTimeoutMs: 500 });
    const err = await bounded(store.ping()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreUnavailableError);
  });

  it('appends go through the per-append Append RPC, never the shared BatchAppend stream', async () => {
    peer = await startEsdbPeer(); // advertises BatchAppend
    store = new EsdbEventStore(peer.url);
    const result = await bounded(store.append('a-1', [{ type: 'A', data: { n: 1 } }]));
    expect(result.nextRevision).toBe(0n);
    expect(peer.appends).toEqual(['a-1']);
    expect(peer.batchAppendCalls).toBe(0);
  });
});
