// The multi-instance proof, shared by tests/e2e/cluster.test.ts and `npm run demo:cluster`:
// 2 api, 2 projector and 2 worker processes over one fresh database and Redis prefix; photos are
// uploaded through both APIs (with re-analyses and deletions in between), one projector and one
// worker are SIGKILLed midway (the ones holding the images projection and the job bridge), and
// then the checks: every command answered and recorded, every analysis request answered exactly
// once, no job that is not a request, the read models equal a rebuild from the log, and the
// survivors took over and still stop cleanly on SIGTERM.

import { readSample } from './sample-photos.js';
import {
  accepted,
  analysisLedger,
  ApiClient,
  createCluster,
  eventsOf,
  exactlyOnceProblems,
  holdsConsumer,
  jobSummary,
  resultCount,
  tail,
  terminate,
  verifyReadModels,
  waitForAnalysis,
  waitForCheckpoints,
  type JobSummary,
  type RoleProcess,
} from './cluster.js';
import { eventually } from './eventually.js';

export interface ScenarioOptions {
  /** Photos to upload. */
  uploads: number;
  /** Concurrent upload loops (besides the one sending re-analyses and deletions). */
  concurrency?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  label?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioReport {
  seconds: number;
  uploads: number;
  reanalyses: number;
  deletions: number;
  requests: number;
  analyzed: number;
  failed: number;
  jobs: JobSummary;
  killed: string[];
  checks: Check[];
  ok: boolean;
}

/** Every 10th image (from the 4th) is re-analysed, every 15th (from the 8th) deleted: never both. */
const reanalysed = (i: number) => i % 10 === 3;
const deleted = (i: number) => i % 15 === 7;

export async function runClusterScenario(opts: ScenarioOptions): Promise<ScenarioReport> {
  const log = opts.log ?? (() => undefined);
  const started = performance.now();
  const cluster = await createCluster(opts.label ?? 'cluster', { JOB_LOCK_MS: '5000', WORKER_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '30000' });
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail = '') => {
    checks.push({ name, ok, detail });
    log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  };
  try {
    log(`database ${cluster.db.name}, Redis prefix ${cluster.redisPrefix}; starting 2 api, 2 projector, 2 worker processes`);
    const procs = await Promise.all([
      cluster.start('api', 'api-1'),
      cluster.start('api', 'api-2'),
      cluster.start('projector', 'projector-1'),
      cluster.start('projector', 'projector-2'),
      cluster.start('worker', 'worker-1'),
      cluster.start('worker', 'worker-2'),
    ]);
    const apis = procs.filter((p) => p.role === 'api');
    const apiAt = (i: number) => apis[i % apis.length]!.baseUrl;
    log(`started in ${Math.round(performance.now() - started)} ms`);

    const client = new ApiClient();
    const tokens = await Promise.all([0, 1, 2, 3].map((i) => client.user(apiAt(i))));
    const photos = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => readSample(i)));

    // Uploads through both APIs; a command loop follows them with re-analyses and deletions.
    const images: { imageId: string; token: string }[] = [];
    let next = 0;
    let uploadsDone = false;
    const uploadLoop = async () => {
      for (let i = next++; i < opts.uploads; i = next++) {
        const token = tokens[i % tokens.length]!;
        const o = await client.upload(apiAt(i), token, photos[i % photos.length]!, `cluster-${i}.jpg`);
        if (accepted(o)) images.push({ imageId: (o.body as { imageId: string }).imageId, token });
      }
    };
    const commandLoop = async () => {
      let i = 0;
      while (!uploadsDone || i < images.length) {
        const image = images[i];
        if (!image) {
          await eventually(() => Promise.resolve(uploadsDone || images.length > i), 'the next upload', 120_000, 20);
          continue;
        }
        if (reanalysed(i)) await client.reanalyze(apiAt(i + 1), image.token, image.imageId);
        if (deleted(i)) await client.delete(apiAt(i + 1), image.token, image.imageId);
        i++;
      }
    };
    const uploading = Promise.all(Array.from({ length: opts.concurrency ?? 4 }, uploadLoop)).finally(() => (uploadsDone = true));
    const commanding = commandLoop();

    // Midway, with results coming in: SIGKILL the projector holding the images read model and the
    // worker holding the job bridge (or any, if the lock holder is not known yet).
    await eventually(
      async () => images.length >= opts.uploads / 2 && resultCount(await analysisLedger(cluster.db), 'analyzed') > 0,
      'half the uploads and a first result',
      600_000,
      50,
    );
    const projectors = procs.filter((p) => p.role === 'projector');
    const workers = procs.filter((p) => p.role === 'worker');
    const victims = [projectors.find((p) => holdsConsumer(p, 'images')) ?? projectors[0]!, workers.find((p) => holdsConsumer(p, 'job-bridge')) ?? workers[0]!];
    const activeJobs = await cluster.queue.getActiveCount();
    for (const v of victims) v.child.kill('SIGKILL');
    await Promise.all(victims.map((v) => v.exited));
    log(`SIGKILLed ${victims.map((v) => v.name).join(' and ')} after ${images.length} uploads (${activeJobs} jobs active)`);

    await uploading;
    await commanding;
    const commands = client.outcomes.filter((o) => o.kind !== 'login' && o.kind !== 'register');
    const count = (kind: string) => commands.filter((o) => o.kind === kind && accepted(o)).length;
    log(`sent ${count('upload')} uploads, ${count('reanalyze')} re-analyses, ${count('delete')} deletions; waiting for the analyses`);

    const ledger = await waitForAnalysis(cluster.db, 120_000 + opts.uploads * 3_000);
    await waitForCheckpoints(cluster.db, 120_000);
    log(`all ${ledger.requests.size} requests answered and every checkpoint caught up after ${Math.round(performance.now() - started)} ms`);

    const refused = commands.filter((o) => !accepted(o));
    check('every upload and command answered 2xx by either api', refused.length === 0, refused.length ? JSON.stringify(refused.slice(0, 3)) : `${commands.length} requests`);

    const events = await eventsOf(cluster.db, commands.map((o) => o.requestId));
    const expected: Record<string, string> = { upload: 'ImageUploaded', reanalyze: 'ImageAnalysisRequested', delete: 'ImageDeleted' };
    // A delete also erases the image (issue 15): its request records the deletion and the erasure
    // request once; the executor may carry the same correlation id on the erasure's own facts.
    const ERASURE_FOLLOW_UPS = new Set(['ImageErased', 'KeyShredded', 'ErasureCompleted']);
    const recordedAsExpected = (kind: string, types: string[]) =>
      kind === 'delete'
        ? types.filter((t) => !ERASURE_FOLLOW_UPS.has(t)).join() === 'ImageDeleted,ErasureRequested' && types.filter((t) => t === 'ImageErased').length <= 1
        : types.join() === expected[kind];
    const unrecorded = commands.filter((o) => accepted(o) && !recordedAsExpected(o.kind, events.get(o.requestId) ?? []));
    check('every accepted command recorded its event once', unrecorded.length === 0, unrecorded.length ? `${unrecorded.length} not, e.g. ${unrecorded[0]!.kind} ${unrecorded[0]!.requestId}` : `${commands.length} events`);

    const once = exactlyOnceProblems(ledger);
    check('every analysis request of a live image has exactly one result, none more than one', once.length === 0, once.length ? once.slice(0, 5).join('; ') : `${ledger.requests.size} requests`);
    check('no analysis failed', resultCount(ledger, 'failed') === 0, `${resultCount(ledger, 'failed')} ImageAnalysisFailed`);

    const jobs = await jobSummary(cluster.queue, ledger, 120_000);
    check('no duplicate or stray BullMQ job (jobId = request id, one per request)', jobs.problems.length === 0, jobs.problems.length ? jobs.problems.slice(0, 5).join('; ') : `${jobs.completed} completed, ${jobs.failed} failed, ${jobs.stalledRuns} taken over from the killed worker, ${jobs.skippedRuns} found already answered`);

    const diffs = await verifyReadModels(cluster.db);
    check('read models equal a from-scratch rebuild', diffs.length === 0, diffs.join('; '));

    const survivors = procs.filter((p) => !victims.includes(p));
    const tookOver = [survivors.find((p) => p.role === 'projector')!, survivors.find((p) => p.role === 'worker')!];
    check(
      'the standby projector and worker took over the images projection and the job bridge',
      holdsConsumer(tookOver[0]!, 'images') && holdsConsumer(tookOver[1]!, 'job-bridge'),
      tookOver.map((p) => p.name).join(', '),
    );

    const exits = await Promise.all(survivors.map(async (p: RoleProcess) => ({ p, ...(await terminate(p)) })));
    const bad = exits.filter((e) => e.code !== 0);
    check('the survivors exit 0 on SIGTERM', bad.length === 0, bad.length ? bad.map((e) => `${e.p.name} → ${e.code}\n${tail(e.p.output())}`).join('\n') : exits.map((e) => `${e.p.name} ${e.ms} ms`).join(', '));

    return {
      seconds: (performance.now() - started) / 1000,
      uploads: count('upload'),
      reanalyses: count('reanalyze'),
      deletions: count('delete'),
      requests: ledger.requests.size,
      analyzed: resultCount(ledger, 'analyzed'),
      failed: resultCount(ledger, 'failed'),
      jobs,
      killed: victims.map((v) => v.name),
      checks,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    await cluster.close();
  }
}
