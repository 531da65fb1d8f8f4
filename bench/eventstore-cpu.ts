// `npm run bench -- eventstore --cpu`: the CPU one lone append costs, next to the single-insert
// floor, for a machine too busy for throughput figures (other processes' fsyncs and CPU move
// appends/s by ±50 % between rounds; CPU time per append moves far less). One writer, one event per
// append, rounds of `--appends=N` (default 2000) alternated `--rounds=R` (default 5) times; per
// append: wall time, this process's CPU (process.cpuUsage) and the CPU of this database's
// server backends (/proc/<pid>/stat, so only with PostgreSQL on this host; the NOTIFY's backend
// counts too), medians over the rounds.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.js';
import { singleInsertAppender, type AppendOnce } from './eventstore-peers.js';
import { printTable, writeResults } from './results-file.js';
import { benchDatabase, percentile } from './support.js';

const payload = { imageId: randomUUID(), ownerId: randomUUID(), filename: 'holiday.jpg', contentType: 'image/jpeg', bytes: 1_234_567, width: 1920, height: 1280, sha256: 'ab'.repeat(32) };
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: randomUUID(), role: 'user' }, schemaVersion: 1 };

interface Round {
  wallUs: number;
  nodeUs: number;
  serverUs: number;
  p50: number;
  p99: number;
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds (user + system) of this database's backends, in µs. */
async function serverCpuUs(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // a backend that ended in between
    }
  }
  return (ticks / clockTicks) * 1e6;
}

async function round(pool: pg.Pool, append: AppendOnce, count: number): Promise<Round> {
  const base = `cpu-${randomUUID()}`;
  const latencies: number[] = [];
  const server0 = await serverCpuUs(pool);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await append(`${base}-${i}`, payload, metadata);
    latencies.push(performance.now() - t);
  }
  const wallUs = ((performance.now() - t0) * 1000) / count;
  const cpu = process.cpuUsage(cpu0);
  const serverUs = ((await serverCpuUs(pool)) - server0) / count;
  latencies.sort((a, b) => a - b);
  return { wallUs, nodeUs: (cpu.user + cpu.system) / count, serverUs, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runCpu(flags: string[], flagValue: (flags: string[], name: string) => number | undefined): Promise<void> {
  const count = flagValue(flags, '--appends') ?? 2000;
  const rounds = flagValue(flags, '--rounds') ?? 5;
  const db = await benchDatabase('facetrail_bench_eventstore_cpu');
  const store = new PostgresEventStore(db.pool, { url: db.url });
  const floor = await singleInsertAppender(db.pool);
  const cases: { name: string; append: AppendOnce }[] = [
    {
      name: 'facetrail',
      append: async (stream, data, meta) => {
        await store.append(stream, [{ type: 'ImageUploaded', data, metadata: meta }], { expectedRevision: 'no_stream' });
      },
    },
    { name: 'single insert per commit', append: floor.append },
  ];
  const results = new Map(cases.map((c) => [c, [] as Round[]]));
  try {
    for (const c of cases) await round(db.pool, c.append, 300); // warm-up: connections, plans, JIT
    for (let r = 0; r < rounds; r++) {
      for (const c of r % 2 === 0 ? cases : [...cases].reverse()) results.get(c)!.push(await round(db.pool, c.append, count));
    }
    const rows = cases.map((c) => {
      const rs = results.get(c)!;
      return {
        case: `lone append, 1 writer: ${c.name}`,
        'wall µs': median(rs.map((x) => x.wallUs)),
        'node CPU µs': median(rs.map((x) => x.nodeUs)),
        'server CPU µs': median(rs.map((x) => x.serverUs)),
        'p50 ms': median(rs.map((x) => x.p50)),
        'p99 ms': median(rs.map((x) => x.p99)),
      };
    });
    printTable(rows);
    console.log(`\nper append, medians of ${rounds} alternated rounds of ${count} appends; server CPU is every backend of the bench database.`);
    console.log(`\nwritten ${await writeResults('eventstore-cpu', rows)}`);
  } finally {
    await store.close();
    await db.drop();
  }
}
