// Issue 14, item 6 (second half), at the protocol level over the scripted gRPC peer
// (tests/support/esdb-peer.ts): a server that reports 0-0 positions for stream reads (EventStoreDB
// older than 22.6) is refused when a role starts, not taken as "every position is caught up"; a
// server that cannot be reached at start-up does not stop the start, and the same check then runs
// on the first successful connection, before any subscription is opened or anything delivered.

import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { EventStoreUnavailableError, type Position } from '../../../src/eventstore/index.js';
import { startRuntime } from '../../../src/runtime.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { eventually } from '../../../support/eventually.js';
import { startEsdbPeer, type EsdbPeer } from '../../support/esdb-peer.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

const pos = (n: bigint): Position => ({ commit: n, prepare: n });

/** $all answers with an event at a real position; the stream read of that event answers `streamPosition`. */
function script(peer: EsdbPeer, streamPosition: Position): void {
  peer.onRead((read, reply) => {
    if (read.subscription) return reply.confirm();
    if (read.stream === '$all') {
      if (read.direction === 'backwards') reply.event({ stream: 'f14-old-1', type: 'Something', revision: 3n, position: pos(500n) });
      return reply.end();
    }
    reply.event({ stream: read.stream, type: 'Something', revision: 3n, position: streamPosition });
    reply.end();
  });
}

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

let db: TestDatabase;
let peer: EsdbPeer | undefined;
let proxy: TcpProxy | undefined;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase('g_esdbcheck');
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await proxy?.stop();
  await peer?.close();
  proxy = undefined;
  peer = undefined;
});

function configFor(eventStoreUrl: string) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    EVENT_STORE_URL: eventStoreUrl,
    REDIS_KEY_PREFIX: `ft-test-g-esdbcheck-${randomUUID().slice(0, 8)}:`,
    JWT_DEV_KEY_FILE: path.join(os.tmpdir(), `facetrail-test-g-esdbcheck-${db.name}.json`),
  });
}

describe('EventStoreDB older than 22.6 (0-0 positions on stream reads)', () => {
  it('start-up is refused with a message naming the server', async () => {
    peer = await startEsdbPeer();
    script(peer, pos(0n));
    const { logger } = capturingLogger();
    const started = startRuntime(configFor(`esdb://admin:s3cret@127.0.0.1:${peer.port}?tls=false`), logger);
    started.then((rt) => cleanups.push(() => rt.close())).catch(() => undefined);
    const err = await started.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err, 'started on a server that reports 0-0 positions').toBeInstanceOf(Error);
    expect(err!.message).toMatch(/22\.6/);
    expect(err!.name).toBe('EsdbServerTooOldError');
    expect(err!.message).toContain(`127.0.0.1:${peer.port}`);
    expect(err!.message).not.toContain('s3cret');
    expect(peer.reads.some((r) => r.subscription)).toBe(false);
  });

  it('a server with positions on stream reads passes: start-up reads the newest event from its stream', async () => {
    peer = await startEsdbPeer();
    script(peer, pos(500n));
    const { logger, warnings } = capturingLogger();
    const rt = await startRuntime(configFor(peer.url), logger);
    cleanups.push(() => rt.close());
    expect(peer.reads.some((r) => r.stream === 'f14-old-1' && r.from === 3n), 'the start-up check read the newest event from its stream').toBe(true);
    expect(warnings().filter((w) => /EventStoreDB/.test(w))).toEqual([]);
  });

  it('unreachable at start-up: the start goes on (with a warning), and the check runs on the first connection before anything is subscribed', async () => {
    peer = await startEsdbPeer();
    script(peer, pos(0n));
    proxy = new TcpProxy('127.0.0.1', peer.port);
    await proxy.start();
    const port = proxy.port;
    await proxy.stop(); // the port stays reserved for the proxy's next start
    const { logger, warnings } = capturingLogger();
    const rt = await startRuntime(configFor(`esdb://127.0.0.1:${port}?tls=false`), logger);
    cleanups.push(() => rt.close());
    expect(warnings().join('\n')).toMatch(/unreachable at start-up/);

    await proxy.start();
    // The subscription fails with the refusal (after connection errors while the client reconnects).
    const refusal = await eventually(
      async () => {
        const sub = rt.eventStore.subscribe({ from: 'start' });
        try {
          for await (const _ of sub) return new Error('an event was delivered');
          return new Error('the subscription ended');
        } catch (err) {
          if (err instanceof EventStoreUnavailableError) return undefined;
          return err as Error;
        } finally {
          await sub.close();
        }
      },
      'the subscription fails with something other than unavailability',
    );
    expect(refusal.message).toMatch(/22\.6/);
    expect(refusal.name).toBe('EsdbServerTooOldError');
    expect(peer.reads.some((r) => r.subscription), 'a subscription was opened on a server that reports 0-0 positions').toBe(false);
    // Appends and reads are refused the same way, before anything is sent.
    const append = await rt.eventStore.append('f14-new-1', [{ type: 'Something', data: {} }]).catch((e: unknown) => e as Error);
    expect((append as Error).name).toBe('EsdbServerTooOldError');
    expect(peer.appends).toEqual([]);
  });
});
