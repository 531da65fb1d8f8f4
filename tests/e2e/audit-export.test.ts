// The NDJSON export streams the whole log with backpressure: 200 000 events go over HTTP while the
// process's heap and RSS stay within a bound far below what buffering them would take.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions, positionToCursor } from '../../src/eventstore/position.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor, type FeedEvent } from '../support/audit.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection (the flag can be set at run time; `gc` then exists in a new context). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let t: TestApp;
let auditor: string;

beforeAll(async () => {
  t = await startTestApp('audit-export');
  auditor = (await tokenFor(t, 'auditor@example.com', 'auditor')).token;
});
afterAll(async () => {
  await t.stop();
});

const EVENTS = 200_000;
const PER_APPEND = 1000;
const NEWLINE = 10;

describe('audit NDJSON export', () => {
  it('streams 200 000 events in bounded memory', { timeout: 120_000 }, async () => {
    const store = t.runtime.eventStore;
    // The position of an append of our own, not headPosition(): the gap-safe horizon is
    // cluster-wide, so other test databases' open transactions can hold it behind our commits.
    const before = (await store.append('export-marker', [{ type: 'Marker', data: {} }])).position;
    let newest = before;
    const appends = EVENTS / PER_APPEND;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < appends) {
          const a = next++;
          const { position } = await store.append(
            `bulk-${a}`,
            Array.from({ length: PER_APPEND }, (_, i) => ({ type: 'Bulk', data: { a, i, note: 'an event of about three hundred bytes once serialised' } })),
          );
          if (comparePositions(position, newest) > 0) newest = position;
        }
      }),
    );

    // Live heap, measured after a full collection (garbage not yet collected on a busy machine is
    // not what the export holds): at the start and after every 20 000 lines.
    collectGarbage();
    const baseline = process.memoryUsage();
    let peakHeap = baseline.heapUsed;
    let peakRss = baseline.rss;
    const sample = () => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    const sampleLiveHeap = () => {
      collectGarbage();
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    };
    const sampler = setInterval(sample, 25);
    let nextHeapSample = 20_000;

    const res = await fetch(`${t.baseUrl}/v1/audit/export.ndjson?after=${positionToCursor(before)}`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    let lines = 0;
    let bytes = 0;
    let head = '';
    let tail = new Uint8Array(0);
    for await (const value of res.body! as AsyncIterable<Uint8Array>) {
      bytes += value.length;
      for (const b of value) if (b === NEWLINE) lines++;
      if (lines >= nextHeapSample) {
        sampleLiveHeap();
        nextHeapSample += 20_000;
      }
      if (head.length < 4096) head += new TextDecoder().decode(value.subarray(0, 4096));
      tail = value.length >= 4096 ? value.slice(-4096) : Uint8Array.from([...tail.slice(-4096), ...value]);
      sample();
    }
    clearInterval(sampler);

    expect(lines).toBe(EVENTS);
    expect(bytes).toBeGreaterThan(EVENTS * 150);
    const first = JSON.parse(head.split('\n')[0]!) as FeedEvent;
    expect(first).toMatchObject({ type: 'Bulk', revision: '0' });
    const lastLine = new TextDecoder().decode(tail).trimEnd().split('\n').at(-1)!;
    const last = JSON.parse(lastLine) as FeedEvent;
    expect(last.position).toBe(positionToCursor(newest));

    const heapGrowthMb = (peakHeap - baseline.heapUsed) / 2 ** 20;
    const rssGrowthMb = (peakRss - baseline.rss) / 2 ** 20;
    console.log(`export: ${lines} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB; heap growth ${heapGrowthMb.toFixed(1)} MiB, rss growth ${rssGrowthMb.toFixed(1)} MiB`);
    // Buffering the export would hold the whole body (~50 MiB of strings) plus 200 000 event objects.
    expect(heapGrowthMb).toBeLessThan(40);
    expect(rssGrowthMb).toBeLessThan(150);
  });

  it('rejects a bad cursor before streaming', async () => {
    const res = await fetch(`${t.baseUrl}/v1/audit/export.ndjson?after=bad`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_cursor' });
  });
});
