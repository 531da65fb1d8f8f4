// `npm run bench -- pipeline [--quick] [--images=N] [--concurrency=2,1] [--no-burst]`: the whole system in one
// process (runtime, HTTP app, projectors, job bridge, analysis worker) over a fresh database.
// 4 HTTP clients upload the six sample photos (cycled); each waits until its image is analysed and
// visible through the API, then uploads the next. Measured:
//   - upload → analysed-and-visible latency: from sending the upload until one
//     `GET /v1/images/{id}?consistentWith=<result position>` answers `status: 'analyzed'` (the
//     result event is awaited on an event-store subscription, not by polling);
//   - images/s (images / wall time);
//   - projection lag, append → visible in the `images` read model, for every ImageUploaded (from
//     the upload's HTTP response) and ImageAnalyzed (from its recordedAt): the moment the `images`
//     checkpoint reaches the event's position;
//   - the analysis time the worker records (ImageAnalyzed.data.durationMs).
//   - where each image's time goes (stages, from its events and its BullMQ job's timestamps);
// Every image must end with exactly one ImageAnalyzed; a warning is printed otherwise.
// Then (unless --no-burst) the upload burst of bench/upload-burst.ts: the API role's peak RSS
// during 16 concurrent 40-megapixel uploads.
// The run is repeated for each WORKER_CONCURRENCY in --concurrency (default 2,1; 2 with --quick).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { bullPrefix } from '../src/config.js';
import { producerConnection } from '../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../src/workers/queues.js';
import { burstRows, uploadBurst, BURST_RSS_TARGET_MB, type BurstResult } from './upload-burst.js';
import { positionToCursor } from '../src/eventstore/position.js';
import { startInProcessApp } from '../support/in-process-app.js';
import { SAMPLES } from '../support/sample-photos.js';
import { PipelineTracker, type LagSample } from './pipeline-tracker.js';
import { printTable, writeResults } from './results-file.js';
import { benchConfig, benchDatabase, percentile } from './support.js';

type Row = Record<string, string | number>;

const CLIENTS = 4;
const RESULT_TIMEOUT_MS = 120_000;

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with `recordedAt`). */
const nowEpoch = () => performance.timeOrigin + performance.now();

interface RunResult {
  concurrency: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  uploadHttpMs: number[];
  visibleMs: number[];
  lagUploadedMs: number[];
  lagAnalyzedMs: number[];
  lagAllMs: number[];
  lagTimeouts: number;
  /** recordedAt → delivered by the bench's own subscription (part of the lag, for diagnosis). */
  deliveryMs: number[];
  analysisMs: number[];
  faces: number;
  problems: string[];
  /** The process's event-loop delay during the measured uploads (inference pre/post-processing runs on it). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** os.loadavg() right after the measured uploads. */
  loadAverage: number[];
  /** Where an image's time goes (ms per image, sorted), from the events and the BullMQ job timestamps. */
  stages: Record<StageName, number[]>;
  /** CPU time per measured image: this process (main thread and analyzer threads), and the PostgreSQL backends of its database. */
  cpuMsPerImage: { node: number; postgres: number };
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** utime + stime (ms) of the PostgreSQL backends connected to the bench database now, by pid. */
async function postgresCpuMs(pool: { query: (sql: string) => Promise<{ rows: { pid: number }[] }> }): Promise<Map<number, number>> {
  const { rows } = await pool.query('select pid from pg_stat_activity where datname = current_database()');
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
    } catch {
      /* not on this machine, or gone */
    }
  }
  return out;
}

const STAGES = {
  uploadHttp: 'upload HTTP: sent → 202',
  toJob: 'bridge: ImageUploaded recorded → job added',
  queueWait: 'queue wait: job added → worker takes it',
  workerOther: 'worker: blob, stream, result append (job time − analysis)',
  analysis: 'analysis in the thread (decode + inference)',
  toVisible: 'ImageAnalyzed recorded → visible via GET',
} as const;
type StageName = keyof typeof STAGES;

interface Upload {
  imageId: string;
  position: string;
  /** nowEpoch() when the upload was sent, when the 202 arrived, when the analysed image was read back. */
  sentAt?: number;
  respondedAt: number;
  visibleAt?: number;
}

async function upload(base: string, token: string, bytes: Buffer, name: string): Promise<Upload> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/jpeg' }), name);
  const res = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const respondedAt = nowEpoch();
  if (res.status !== 202) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { imageId: string; position: string };
  return { ...body, respondedAt };
}

/** Waits for the image's analysis result, then reads it once with consistentWith; its status. */
async function analysedAndVisible(base: string, token: string, tracker: PipelineTracker, imageId: string): Promise<string> {
  const result = await tracker.result(imageId, RESULT_TIMEOUT_MS);
  const cursor = positionToCursor(result.position);
  const res = await fetch(`${base}/v1/images/${imageId}?consistentWith=${cursor}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /v1/images/${imageId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { status: string }).status;
}

async function pipelineRun(concurrency: number, total: number, samples: Buffer[]): Promise<RunResult> {
  const db = await benchDatabase('facetrail_bench_pipeline');
  const suffix = randomBytes(4).toString('hex');
  const prefix = `ft-bench-pipeline-${suffix}:`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-pipeline-'));
  const problems: string[] = [];
  try {
    const config = benchConfig(db.url, prefix, path.join(dir, 'jwt-dev.json'), { WORKER_CONCURRENCY: String(concurrency), INFERENCE_THREADS: '1' });
    const system = await startInProcessApp(config, pino({ level: 'silent' }), { workers: true });
    try {
      const tracker = new PipelineTracker(system.runtime);
      let stopped = false;
      const stopServices = async () => {
        if (stopped) return;
        stopped = true;
        await tracker.close();
        await system.stopServices();
      };
      try {
        const base = system.baseUrl;

        const email = `bench-${suffix}@example.com`;
        const password = `bench-${randomBytes(8).toString('hex')}`;
        const json = { 'content-type': 'application/json' };
        const reg = await fetch(`${base}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password, displayName: 'Bench' }) });
        if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
        const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
        if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
        const { accessToken: token } = (await login.json()) as { accessToken: string };

        // Warm-up: models, JIT, connections; not measured.
        const warm = await upload(base, token, samples[0]!, 'warmup.jpg');
        const warmStatus = await analysedAndVisible(base, token, tracker, warm.imageId);
        if (warmStatus !== 'analyzed') throw new Error(`warm-up image ended '${warmStatus}'`);

        const uploads = new Map<string, Upload>();
        const uploadHttpMs: number[] = [];
        const visibleMs: number[] = [];
        let next = 0;
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const cpuBefore = process.cpuUsage();
        const pgBefore = await postgresCpuMs(system.runtime.pool);
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            for (let i = next++; i < total; i = next++) {
              const t0 = performance.now();
              const sent = nowEpoch();
              const u = await upload(base, token, samples[i % samples.length]!, `sample${(i % samples.length) + 1}.jpg`);
              u.sentAt = sent;
              uploads.set(u.imageId, u);
              uploadHttpMs.push(u.respondedAt - sent);
              const status = await analysedAndVisible(base, token, tracker, u.imageId);
              u.visibleAt = nowEpoch();
              if (status === 'analyzed') visibleMs.push(performance.now() - t0);
              else problems.push(`image ${u.imageId} (sample${(i % samples.length) + 1}) ended '${status}'`);
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        const pgAfter = await postgresCpuMs(system.runtime.pool);
        let pgMs = 0;
        for (const [pid, ms] of pgAfter) pgMs += ms - (pgBefore.get(pid) ?? 0);
        const cpuMsPerImage = { node: (cpu.user + cpu.system) / 1000 / total, postgres: pgMs / total };
        const loadAverage = os.loadavg();
        loop.disable();
        const loopDelayMs = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };

        // Every lag wait started by now has its ImageAnalyzed; let them finish.
        const lagSamples = await tracker.settle();
        const lagUploadedMs: number[] = [];
        const lagAnalyzedMs: number[] = [];
        let lagTimeouts = 0;
        const deliveryMs: number[] = [];
        const analysisMs: number[] = [];
        let faces = 0;
        const seen = new Map<string, LagSample[]>();
        for (const s of lagSamples) {
          const u = uploads.get(s.imageId);
          if (!u) continue; // the warm-up image
          seen.set(s.imageId, [...(seen.get(s.imageId) ?? []), s]);
          deliveryMs.push(s.seenAt - s.recordedAt);
          if (s.reachedAt === undefined) {
            lagTimeouts++;
            continue;
          }
          if (s.type === 'ImageUploaded') lagUploadedMs.push(Math.max(0, s.reachedAt - u.respondedAt));
          else {
            lagAnalyzedMs.push(s.reachedAt - s.recordedAt);
            analysisMs.push(s.durationMs ?? NaN);
            faces += s.faces ?? 0;
          }
        }
        for (const id of uploads.keys()) {
          const types = (seen.get(id) ?? []).map((s) => s.type);
          if (!types.includes('ImageUploaded') || !types.includes('ImageAnalyzed')) problems.push(`image ${id}: the subscription saw ${types.join(', ') || 'nothing'}`);
        }

        const stages = await stageTimes(config, uploads, lagSamples);

        // Stop everything that could still append, then count the results per image stream.
        await stopServices();
        for (const id of uploads.keys()) {
          const counts = await tracker.countResults(id);
          if (counts.analyzed !== 1 || counts.failed !== 0) problems.push(`image ${id}: ${counts.analyzed} ImageAnalyzed, ${counts.failed} ImageAnalysisFailed (expected exactly one ImageAnalyzed)`);
        }
        if (uploads.size !== total) problems.push(`${uploads.size} images uploaded, expected ${total}`);

        const sort = (a: number[]) => a.sort((x, y) => x - y);
        return {
          concurrency,
          images: uploads.size,
          seconds,
          imagesPerSecond: uploads.size / seconds,
          uploadHttpMs: sort(uploadHttpMs),
          visibleMs: sort(visibleMs),
          lagUploadedMs: sort(lagUploadedMs),
          lagAnalyzedMs: sort(lagAnalyzedMs),
          lagAllMs: sort([...lagUploadedMs, ...lagAnalyzedMs]),
          lagTimeouts,
          deliveryMs: sort(deliveryMs),
          analysisMs: sort(analysisMs),
          faces,
          problems,
          loopDelayMs,
          loadAverage,
          stages,
          cpuMsPerImage,
        };
      } finally {
        await stopServices().catch((err: unknown) => console.error('stopping the pipeline failed:', err));
      }
    } finally {
      await system.stop(); // and the BullMQ queues, rate-limit counters and all else under its prefix
    }
  } finally {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per image: the stages of its way through the pipeline, from its events and its analysis job. */
async function stageTimes(config: { redisUrl: string; redisKeyPrefix: string }, uploads: Map<string, Upload>, samples: LagSample[]): Promise<Record<StageName, number[]>> {
  const out = Object.fromEntries(Object.keys(STAGES).map((k) => [k, [] as number[]])) as Record<StageName, number[]>;
  const queue = new Queue(ANALYSIS_QUEUE, { connection: producerConnection(config.redisUrl), prefix: bullPrefix(config) });
  try {
    for (const [imageId, u] of uploads) {
      const uploaded = samples.find((s) => s.imageId === imageId && s.type === 'ImageUploaded');
      const analyzed = samples.find((s) => s.imageId === imageId && s.type === 'ImageAnalyzed');
      if (!uploaded || !analyzed || u.sentAt === undefined || u.visibleAt === undefined) continue;
      const job = await queue.getJob(uploaded.eventId);
      if (!job?.processedOn || !job.finishedOn) continue;
      out.uploadHttp.push(u.respondedAt - u.sentAt);
      out.toJob.push(job.timestamp - uploaded.recordedAt);
      out.queueWait.push(job.processedOn - job.timestamp);
      out.analysis.push(analyzed.durationMs ?? NaN);
      out.workerOther.push(analyzed.recordedAt - job.processedOn - (analyzed.durationMs ?? NaN));
      out.toVisible.push(u.visibleAt - analyzed.recordedAt);
    }
  } finally {
    await queue.close();
  }
  for (const k of Object.keys(out) as StageName[]) out[k].sort((a, b) => a - b);
  return out;
}

function flagValue(flags: string[], name: string): string | undefined {
  const f = flags.find((a) => a.startsWith(`${name}=`));
  return f?.slice(name.length + 1);
}

const p = (values: number[], q: number) => percentile(values, q);

function tableRows(results: RunResult[]): Row[] {
  const col = (r: RunResult) => `WORKER_CONCURRENCY=${r.concurrency}`;
  const metrics: [string, (r: RunResult) => number | string, string][] = [
    ['images (4 clients)', (r) => r.images, ''],
    ['wall time s', (r) => r.seconds, ''],
    ['images/s', (r) => r.imagesPerSecond, '≥ 6'],
    ['upload → analysed+visible p50 ms', (r) => p(r.visibleMs, 50), ''],
    ['upload → analysed+visible p99 ms', (r) => p(r.visibleMs, 99), ''],
    ['upload HTTP (202) p50 ms', (r) => p(r.uploadHttpMs, 50), ''],
    ['analysis durationMs p50', (r) => p(r.analysisMs, 50), ''],
    ['projection lag p50 ms (all)', (r) => p(r.lagAllMs, 50), ''],
    ['projection lag p99 ms (all)', (r) => p(r.lagAllMs, 99), '< 100'],
    ['lag ImageUploaded (from 202) p50/p99', (r) => `${fmt(p(r.lagUploadedMs, 50))} / ${fmt(p(r.lagUploadedMs, 99))}`, ''],
    ['lag ImageAnalyzed (from recordedAt) p50/p99', (r) => `${fmt(p(r.lagAnalyzedMs, 50))} / ${fmt(p(r.lagAnalyzedMs, 99))}`, ''],
    ['(recordedAt → bench subscription p50/p99)', (r) => `${fmt(p(r.deliveryMs, 50))} / ${fmt(p(r.deliveryMs, 99))}`, ''],
    ['(event-loop delay p50/p99/max ms, 10 ms res.)', (r) => `${fmt(r.loopDelayMs.p50)} / ${fmt(r.loopDelayMs.p99)} / ${fmt(r.loopDelayMs.max)}`, ''],
    ['lag waits timed out (10 s)', (r) => r.lagTimeouts, '0'],
    ...(Object.entries(STAGES) as [StageName, string][]).map(([k, label]): [string, (r: RunResult) => string, string] => [
      `stage p50/p90 ms — ${label}`,
      (r) => `${fmt(p(r.stages[k], 50))} / ${fmt(p(r.stages[k], 90))}`,
      '',
    ]),
    ['CPU ms per image: node (main + analyzer threads)', (r) => r.cpuMsPerImage.node, ''],
    ['CPU ms per image: PostgreSQL backends', (r) => r.cpuMsPerImage.postgres, ''],
    ['faces found', (r) => r.faces, ''],
    ['problems', (r) => r.problems.length, '0'],
    ['load average 1/5/15 min (after)', (r) => r.loadAverage.map((l) => l.toFixed(2)).join(' '), ''],
  ];
  return metrics.map(([metric, value, target]) => {
    const row: Row = { metric };
    for (const r of results) {
      const v = value(r);
      row[col(r)] = typeof v === 'number' ? fmt(v) : v;
    }
    row.target = target;
    return row;
  });
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const total = Number(flagValue(flags, '--images') ?? (quick ? 18 : 60));
  const concurrencies = (flagValue(flags, '--concurrency') ?? (quick ? '2' : '2,1')).split(',').map(Number);
  if (!Number.isInteger(total) || total < 1) throw new Error('--images must be a positive integer');
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--concurrency must list positive integers');
  const samples = await Promise.all(SAMPLES.map((f) => readFile(f)));

  const results: RunResult[] = [];
  for (const c of concurrencies) results.push(await pipelineRun(c, total, samples));
  // API memory during a burst of 16 concurrent 40-megapixel uploads (the API alone, in a child process).
  const burst: BurstResult | undefined = flags.includes('--no-burst') ? undefined : await uploadBurst();

  printTable(tableRows(results));
  if (burst) {
    console.log('\nupload burst (API role alone, child process):');
    printTable(burstRows(burst));
    if (!(burst.peakRssDuringMb < BURST_RSS_TARGET_MB)) console.warn(`note: API peak RSS ${burst.peakRssDuringMb.toFixed(0)} MB during the burst is not below ${BURST_RSS_TARGET_MB} MB`);
  }
  for (const r of results) {
    for (const problem of r.problems) console.warn(`warning: WORKER_CONCURRENCY=${r.concurrency}: ${problem}`);
    if (r.imagesPerSecond < 6) console.warn(`note: WORKER_CONCURRENCY=${r.concurrency}: ${r.imagesPerSecond.toFixed(2)} images/s is below the 6 images/s target`);
    const lagP99 = p(r.lagAllMs, 99);
    if (!(lagP99 < 100)) console.warn(`note: WORKER_CONCURRENCY=${r.concurrency}: projection lag p99 ${fmt(lagP99)} ms is not below the 100 ms target`);
  }
  const rows = results.map((r) => ({
    workerConcurrency: r.concurrency,
    clients: CLIENTS,
    inferenceThreads: 1,
    images: r.images,
    seconds: r.seconds,
    imagesPerSecond: r.imagesPerSecond,
    visibleMs: { p50: p(r.visibleMs, 50), p99: p(r.visibleMs, 99) },
    uploadHttpMs: { p50: p(r.uploadHttpMs, 50), p99: p(r.uploadHttpMs, 99) },
    analysisDurationMs: { p50: p(r.analysisMs, 50) },
    projectionLagMs: {
      all: { p50: p(r.lagAllMs, 50), p99: p(r.lagAllMs, 99), n: r.lagAllMs.length },
      imageUploadedFromResponse: { p50: p(r.lagUploadedMs, 50), p99: p(r.lagUploadedMs, 99), n: r.lagUploadedMs.length },
      imageAnalyzedFromRecordedAt: { p50: p(r.lagAnalyzedMs, 50), p99: p(r.lagAnalyzedMs, 99), n: r.lagAnalyzedMs.length },
      timeouts: r.lagTimeouts,
      recordedAtToBenchSubscription: { p50: p(r.deliveryMs, 50), p99: p(r.deliveryMs, 99) },
    },
    eventLoopDelayMs: r.loopDelayMs,
    cpuMsPerImage: r.cpuMsPerImage,
    stagesMs: Object.fromEntries((Object.keys(STAGES) as StageName[]).map((k) => [k, { p50: p(r.stages[k], 50), p90: p(r.stages[k], 90) }])),
    faces: r.faces,
    problems: r.problems,
    loadAverage: r.loadAverage,
    targets: { imagesPerSecond: 6, projectionLagP99Ms: 100 },
  }));
  const file = await writeResults('pipeline', burst ? [...rows, { uploadBurst: burst, targets: { peakRssDuringMb: BURST_RSS_TARGET_MB } }] : rows);
  console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; written ${file}`);
}
