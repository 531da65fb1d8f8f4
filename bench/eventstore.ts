// `npm run bench -- eventstore`: append throughput and latency with 1 and 32 concurrent writers
// (one event per append, distinct streams, durable commits, default PostgreSQL settings) and
// readAll throughput over 100k events.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.js';
import { printTable, writeResults } from './results-file.js';
import { benchDatabase, percentile } from './support.js';

const payload = { imageId: randomUUID(), ownerId: randomUUID(), filename: 'holiday.jpg', contentType: 'image/jpeg', bytes: 1_234_567, width: 1920, height: 1280, sha256: 'ab'.repeat(32) };
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: randomUUID(), role: 'user' }, schemaVersion: 1 };

async function appendRun(store: PostgresEventStore, writers: number, seconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const base = `bench-${w}-${randomUUID()}`;
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await store.append(`${base}-${i}`, [{ type: 'ImageUploaded', data: payload, metadata }], { expectedRevision: 'no_stream' });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { appends: latencies.length, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const seconds = quick ? 2 : 8;
  const readEvents = quick ? 20_000 : 100_000;
  const db = await benchDatabase('facetrail_bench_eventstore');
  const store = new PostgresEventStore(db.pool, { url: db.url });
  try {
    const rows: Record<string, string | number>[] = [];
    await appendRun(store, 8, 1); // warm-up: connections, plans
    for (const writers of [1, 32]) {
      const r = await appendRun(store, writers, seconds);
      rows.push({ case: `append, ${writers} writer${writers > 1 ? 's' : ''}`, ops: r.appends, 'ops/s': r.perSecond, 'p50 ms': r.p50, 'p99 ms': r.p99 });
    }

    // Load the log up to `readEvents`, in appends of 500 events, then read it all back.
    const { rows: countRows } = await db.pool.query<{ n: string }>('select count(*)::text as n from es.events');
    let have = Number(countRows[0]!.n);
    while (have < readEvents) {
      const n = Math.min(500, readEvents - have);
      await store.append(`bulk-${randomUUID()}`, Array.from({ length: n }, () => ({ type: 'ImageUploaded', data: payload, metadata })));
      have += n;
    }
    const t0 = performance.now();
    let read = 0;
    for await (const _ of store.readAll()) read++;
    const readSeconds = (performance.now() - t0) / 1000;
    rows.push({ case: `readAll over ${read} events`, ops: read, 'ops/s': read / readSeconds, 'p50 ms': '-', 'p99 ms': '-' });

    printTable(rows);
    const file = await writeResults('eventstore', rows);
    console.log(`\nwritten ${file}`);
  } finally {
    await store.close();
    await db.drop();
  }
}
