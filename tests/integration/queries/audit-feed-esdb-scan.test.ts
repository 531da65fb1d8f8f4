// Issue 14, item 2 for the audit feed: on EventStoreDB (client 6.2.1 filters $all client-side, and
// maxCount counts matches only) a filtered page scans at most the feed's scan bound and hands back
// a cursor to continue from, instead of scanning the log up to the head. Over the scripted gRPC
// peer (tests/support/esdb-peer.ts), which serves a log of LOG events, one of which matches.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { cursorToPosition, positionToCursor, type Position } from '../../../src/eventstore/position.js';
import { AuditFeed, type FeedQuery } from '../../../src/queries/audit/audit-feed.js';
import { startEsdbPeer, type EsdbPeer, type PeerEvent } from '../../support/esdb-peer.js';

const LOG = 400;
const MATCH_AT = 321;
const SCAN_BOUND = 50;
const PAGE_SIZE = 16; // the adapter's events per read request

const pos = (n: bigint): Position => ({ commit: n, prepare: n });
const log: PeerEvent[] = Array.from({ length: LOG }, (_, i) => ({
  stream: i === MATCH_AT ? 'f14-wanted-1' : `f14-other-${i}`,
  type: i === MATCH_AT ? 'Wanted' : 'Other',
  revision: 0n,
  position: pos(BigInt(1_000 + 100 * i)),
  data: { i },
}));

let peer: EsdbPeer;
let store: EsdbEventStore;
/** Events the peer has sent on forward reads of $all (the scan). */
let scanned = 0;

beforeAll(async () => {
  peer = await startEsdbPeer();
  peer.onRead((read, reply) => {
    if (read.subscription) return reply.confirm();
    if (read.stream !== '$all') return reply.end();
    const count = Number(read.count ?? BigInt(LOG));
    if (read.direction === 'backwards') {
      for (const e of log.slice(-count).reverse()) reply.event(e);
      return reply.end();
    }
    // fromPosition is inclusive on ESDB.
    const from = read.from;
    const rest = typeof from === 'object' ? log.filter((e) => e.position.commit >= from.commit) : log;
    for (const e of rest.slice(0, count)) {
      scanned++;
      reply.event(e);
    }
    reply.end();
  });
  store = new EsdbEventStore(peer.url, { pageSize: PAGE_SIZE });
});
afterAll(async () => {
  await store?.close();
  await peer?.close();
});

describe('the audit feed on EventStoreDB with a filter', () => {
  const queries: [string, Pick<FeedQuery, 'types' | 'streamPrefix'>][] = [
    ['a type filter', { types: ['Wanted'] }],
    ['a stream prefix', { streamPrefix: 'f14-wanted-' }],
  ];
  for (const [label, query] of queries) it(`${label}: each page scans at most the bound and continues from its cursor, without skipping the match`, async () => {
    const feed = new AuditFeed(store, { scanBound: SCAN_BOUND });
    const head = log.at(-1)!.position;
    let after: Position | undefined;
    const found: string[] = [];
    let pages = 0;
    for (;;) {
      scanned = 0;
      const page = await feed.page({ ...query, limit: 10, ...(after ? { after } : {}) });
      pages++;
      expect(scanned, `page ${pages} scanned ${scanned} events (bound ${SCAN_BOUND})`).toBeLessThanOrEqual(SCAN_BOUND + 2 * PAGE_SIZE);
      found.push(...page.events.map((e) => e.stream));
      const next = cursorToPosition(page.nextCursor);
      expect(after === undefined || next.commit > after.commit, 'the cursor moved on').toBe(true);
      after = next;
      if (positionToCursor(next) === positionToCursor(head)) break;
      expect(pages, 'the feed never reached the head').toBeLessThan(LOG);
    }
    expect(found).toEqual(['f14-wanted-1']);
    expect(pages).toBeGreaterThanOrEqual(Math.floor(LOG / SCAN_BOUND));
  });
});
