// `npm run bench -- eventstore`: append throughput and latency with 1 and 32 concurrent writers
// (one event per append, distinct streams, durable commits, default PostgreSQL settings), side by
// side with Emmett PostgreSQL and a single durable insert per commit (bench/eventstore-peers.ts),
// in interleaved rounds so a noisy machine hits every row alike; then readAll throughput over 100k
// events. `--rounds=N` (default 3, quick 2), `--seconds=S` per run (default 4, quick 2),
// `--in-flight=N` the store's append batches in flight (default: the store's). `--cpu`: the CPU
// of a lone append against the floor instead (bench/eventstore-cpu.ts), for a busy machine.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.js';
import { runCpu } from './eventstore-cpu.js';
import { appendBatchAppender, emmettAppender, singleInsertAppender, type Appender, type AppendOnce } from './eventstore-peers.js';
import { printTable, writeResults } from './results-file.js';
import { benchDatabase, percentile } from './support.js';

const payload = { imageId: randomUUID(), ownerId: randomUUID(), filename: 'holiday.jpg', contentType: 'image/jpeg', bytes: 1_234_567, width: 1920, height: 1280, sha256: 'ab'.repeat(32) };
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: randomUUID(), role: 'user' }, schemaVersion: 1 };

interface RunResult {
  appends: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function appendRun(append: AppendOnce, writers: number, seconds: number): Promise<RunResult> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const base = `bench-${w}-${randomUUID()}`;
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await append(`${base}-${i}`, payload, metadata);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { appends: latencies.length, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function flagValue(flags: string[], name: string): number | undefined {
  const hit = flags.find((f) => f.startsWith(`${name}=`));
  return hit === undefined ? undefined : Number(hit.slice(name.length + 1));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

export async function run(flags: string[]): Promise<void> {
  if (flags.includes('--cpu')) return runCpu(flags, flagValue);
  const quick = flags.includes('--quick');
  const seconds = flagValue(flags, '--seconds') ?? (quick ? 2 : 4);
  const rounds = flagValue(flags, '--rounds') ?? (quick ? 2 : 3);
  const readEvents = quick ? 20_000 : 100_000;
  const db = await benchDatabase('facetrail_bench_eventstore');
  const peerDb = await benchDatabase('facetrail_bench_eventstore_peers');
  const store = new PostgresEventStore(db.pool, { url: db.url, maxBatchesInFlight: flagValue(flags, '--in-flight') });
  const ours: Appender = {
    name: 'facetrail',
    append: async (stream, data, meta) => {
      await store.append(stream, [{ type: 'ImageUploaded', data, metadata: meta }], { expectedRevision: 'no_stream' });
    },
    close: () => Promise.resolve(),
  };
  const emmett = await emmettAppender(peerDb.url);
  const floor = await singleInsertAppender(peerDb.pool);
  const before = appendBatchAppender(db.pool);
  const cases: { appender: Appender; writers: number }[] = [
    { appender: ours, writers: 1 },
    { appender: before, writers: 1 },
    { appender: emmett, writers: 1 },
    { appender: floor, writers: 1 },
    { appender: ours, writers: 32 },
    { appender: emmett, writers: 32 },
    { appender: floor, writers: 32 },
  ];
  const results = new Map<(typeof cases)[number], RunResult[]>(cases.map((c) => [c, []]));
  try {
    for (const c of cases) await appendRun(c.appender.append, 8, 1); // warm-up: connections, plans
    for (let r = 0; r < rounds; r++) {
      // Interleaved, the order turned each round.
      const order = r % 2 === 0 ? cases : [...cases].reverse();
      for (const c of order) results.get(c)!.push(await appendRun(c.appender.append, c.writers, seconds));
    }
    const rows: Record<string, string | number>[] = cases.map((c) => {
      const rs = results.get(c)!;
      return {
        case: `append, ${c.writers} writer${c.writers > 1 ? 's' : ''}: ${c.appender.name}`,
        ops: rs.reduce((n, x) => n + x.appends, 0),
        'ops/s range': range(rs.map((x) => x.perSecond)),
        'ops/s median': median(rs.map((x) => x.perSecond)),
        'p50 ms': median(rs.map((x) => x.p50)),
        'p99 ms': median(rs.map((x) => x.p99)),
      };
    });
    const perRound = (appender: Appender, writers: number) => results.get(cases.find((c) => c.appender === appender && c.writers === writers)!)!.map((x) => x.perSecond);
    for (const writers of [1, 32]) {
      for (const [peer, label] of [
        [emmett, 'Emmett'],
        [floor, 'single insert'],
        ...(writers === 1 ? ([[before, 'append_batch path']] as const) : []),
      ] as const) {
        const ratios = perRound(ours, writers).map((v, i) => v / perRound(peer, writers)[i]!);
        rows.push({
          case: `ratio, ${writers} writer${writers > 1 ? 's' : ''}: facetrail / ${label}`,
          ops: '-',
          'ops/s range': `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`,
          'ops/s median': `${median(ratios).toFixed(2)}×`,
          'p50 ms': '-',
          'p99 ms': '-',
        });
      }
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
    rows.push({ case: `readAll over ${read} events`, ops: read, 'ops/s range': '-', 'ops/s median': read / readSeconds, 'p50 ms': '-', 'p99 ms': '-' });

    printTable(rows);
    console.log(`\n${rounds} interleaved rounds of ${seconds} s per case; ranges are per round, ratios are per round (same round, same machine state).`);
    const file = await writeResults('eventstore', rows);
    console.log(`\nwritten ${file}`);
  } finally {
    await emmett.close();
    await store.close();
    await peerDb.drop();
    await db.drop();
  }
}
