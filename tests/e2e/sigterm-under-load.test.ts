// Graceful shutdown of every role, as separate real processes, while a load generator keeps
// uploading photos and registering users: SIGTERM the worker mid-job, then the projector while
// events keep coming, then the api under concurrent requests. Each exits 0 (the forced exit after
// SHUTDOWN_TIMEOUT_MS would be 1); the api answers every request it accepted, and a request that
// got no 2xx changed nothing; after restarting the roles every request is analysed exactly once
// and the read models equal a rebuild from the log.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_CLASS } from '../../src/projections/runner.js';
import {
  accepted,
  analysisLedger,
  ApiClient,
  createCluster,
  eventsOf,
  exactlyOnceProblems,
  jobSummary,
  resultCount,
  tail,
  terminate,
  verifyReadModels,
  waitForAnalysis,
  waitForCheckpoints,
  type Cluster,
  type Outcome,
  type RoleProcess,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { readSample } from '../../support/sample-photos.js';

const SHUTDOWN_TIMEOUT_MS = 20_000;

let cluster: Cluster;
let api: RoleProcess;
let projector: RoleProcess;
let worker: RoleProcess;
const client = new ApiClient();
let token: string;
const photos: Buffer[] = [];

/** Concurrent loops that upload (and now and then register) until stopped or refused. */
class Load {
  private stopped = false;
  private readonly loops: Promise<void>[];
  constructor(baseUrl: string, concurrency: number) {
    this.loops = Array.from({ length: concurrency }, (_, i) => this.loop(baseUrl, i));
  }
  private async loop(baseUrl: string, lane: number): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const o =
        lane === 0 && n % 3 === 2
          ? await client.register(baseUrl, `load-${lane}-${n}-${Date.now()}@example.com`, 'correct horse battery staple')
          : await client.upload(baseUrl, token, photos[(lane + n) % photos.length]!, `load-${lane}-${n}.jpg`);
      if (o.error === 'ECONNREFUSED') return; // the api is gone
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/** The process's log from SIGTERM on: milliseconds since then and message. */
function shutdownTimeline(p: RoleProcess): string {
  const lines = p.output().split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { time: number; msg: string; jobId?: string }];
    } catch {
      return [];
    }
  });
  const from = lines.findIndex((l) => l.msg === 'shutting down');
  return lines
    .slice(from)
    .map((l) => `  +${l.time - lines[from]!.time} ms ${l.msg}${l.jobId ? ` ${l.jobId}` : ''}`)
    .join('\n');
}

const uploadsAccepted = () => client.outcomes.filter((o) => o.kind === 'upload' && accepted(o)).length;

beforeAll(async () => {
  for (const i of [1, 2, 3, 4, 5, 6]) photos.push(await readSample(i));
  cluster = await createCluster('sigterm', { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), WORKER_CONCURRENCY: '2' });
  [api, projector, worker] = await Promise.all([cluster.start('api'), cluster.start('projector'), cluster.start('worker', 'worker-1', { LOG_LEVEL: 'debug' })]);
  token = await client.user(api.baseUrl);
}, 240_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

describe('SIGTERM under load', () => {
  let load: Load;

  it('worker: stops taking jobs, finishes the ones in hand and exits 0', async () => {
    load = new Load(api.baseUrl, 3);
    // Mid-work: results are being recorded and jobs are in hand.
    await eventually(async () => resultCount(await analysisLedger(cluster.db), 'analyzed') >= 2 && (await cluster.queue.getActiveCount()) > 0, 'the worker to be mid-job', 120_000, 50);
    const { code, ms } = await terminate(worker);
    expect(code, tail(worker.output())).toBe(0);
    expect(worker.output()).toMatch(/"msg":"workers stopped"/);
    expect(worker.output()).not.toMatch(/shutdown took longer/);
    // Nothing left locked by the stopped worker: no job can stall and run twice.
    expect(await cluster.queue.getActiveCount()).toBe(0);
    console.log(`worker exited 0 after ${ms} ms:\n${shutdownTimeline(worker)}`);
  }, 180_000);

  it('projector: finishes the batch in hand while events keep coming, releases its locks, exits 0', async () => {
    const before = uploadsAccepted();
    await eventually(() => Promise.resolve(uploadsAccepted() >= before + 5), 'more uploads while the projector runs', 60_000, 20);
    const { code, ms } = await terminate(projector);
    expect(code, tail(projector.output())).toBe(0);
    expect(projector.output()).toMatch(/"msg":"stopped"/);
    expect(projector.output()).not.toMatch(/projection failed/);
    // No projector or bridge lock is held any more (the worker and the projector are both down).
    const { rows } = await cluster.db.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_locks
        where locktype = 'advisory' and classid = $1 and database = (select oid from pg_database where datname = current_database())`,
      [LOCK_CLASS],
    );
    expect(rows[0]!.n).toBe(0);
    console.log(`projector exited 0 after ${ms} ms`);
  }, 120_000);

  it('api: drains the requests in flight, exits 0; a request without a 2xx changed nothing', async () => {
    const before = uploadsAccepted();
    await eventually(() => Promise.resolve(uploadsAccepted() >= before + 5), 'more uploads before the api stops', 60_000, 20);
    const sigtermAt = performance.now();
    const { code, ms } = await terminate(api);
    await load.stop();
    expect(code, tail(api.output())).toBe(0);
    expect(api.output()).toMatch(/"msg":"stopped"/);

    const outcomes = client.outcomes.filter((o) => o.kind === 'upload' || o.kind === 'register');
    // Requests in flight at SIGTERM were answered, not cut off.
    const inFlight = outcomes.filter((o) => o.startedAt < sigtermAt && o.endedAt > sigtermAt);
    expect(inFlight.filter(accepted).length).toBeGreaterThan(0);

    const events = await eventsOf(cluster.db, outcomes.map((o) => o.requestId));
    const expected = (o: Outcome) => (o.kind === 'upload' ? ['ImageUploaded'] : ['EmailClaimed', 'UserRegistered']);
    const wrong: string[] = [];
    for (const o of outcomes) {
      const got = events.get(o.requestId) ?? [];
      if (accepted(o) && JSON.stringify(got) !== JSON.stringify(expected(o))) wrong.push(`${o.kind} ${o.requestId} got ${o.status} but its events are ${got.join(',')}`);
      if (!accepted(o) && got.length > 0) wrong.push(`${o.kind} ${o.requestId} got ${o.status ?? o.error} but wrote ${got.join(',')}`);
    }
    expect(wrong).toEqual([]);
    // Whatever did not get an answer was refused before the server read it, or answered 503.
    const other = outcomes.filter((o) => !accepted(o));
    expect(other.every((o) => o.status === 503 || o.error !== undefined), JSON.stringify(other.slice(0, 5))).toBe(true);
    const tally = (pred: (o: Outcome) => boolean) => outcomes.filter(pred).length;
    console.log(
      `api exited 0 after ${ms} ms; requests: ${tally(accepted)} accepted, ${inFlight.length} in flight at SIGTERM, ` +
        `${tally((o) => o.status === 503)} answered 503, ${tally((o) => o.error !== undefined)} refused (${[...new Set(other.map((o) => o.error).filter(Boolean))].join(', ')})`,
    );
  }, 120_000);

  it('after a restart every request is analysed exactly once and the read models equal a rebuild', async () => {
    const [projector2, worker2] = await Promise.all([cluster.start('projector'), cluster.start('worker')]);
    const ledger = await waitForAnalysis(cluster.db, 300_000);
    await waitForCheckpoints(cluster.db, 60_000);
    expect(exactlyOnceProblems(ledger)).toEqual([]);
    expect(resultCount(ledger, 'failed')).toBe(0);
    expect(resultCount(ledger, 'analyzed')).toBe(uploadsAccepted());
    const jobs = await jobSummary(cluster.queue, ledger, 60_000);
    expect(jobs.problems).toEqual([]);
    expect(jobs.completed).toBe(uploadsAccepted());
    expect(jobs.stalledRuns).toBe(0); // the SIGTERMed worker abandoned no job
    expect(worker2.output()).not.toMatch(/stalled/);
    expect(await verifyReadModels(cluster.db)).toEqual([]);

    for (const p of [projector2, worker2]) expect((await terminate(p)).code, tail(p.output())).toBe(0);
    console.log(`after restart: ${ledger.requests.size} requests, ${resultCount(ledger, 'analyzed')} analysed, jobs ${JSON.stringify(jobs.counts)}`);
  }, 420_000);
});
