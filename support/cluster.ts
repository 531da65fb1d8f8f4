// Real facetrail processes (`node --import tsx src/main.ts api|projector|worker`) over one fresh
// database and one Redis key prefix, a client that drives their APIs, and the exact checks that
// nothing was lost or done twice: every analysis request has exactly one result, every BullMQ job
// is a request, the read models equal a from-scratch rebuild. Shared by the e2e tests
// (sigterm-under-load, cluster) and `npm run demo:cluster`.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { openEventStore } from '../src/cli/open-event-store.js';
import { loadConfig } from '../src/config.js';
import { comparePositions, type Position } from '../src/eventstore/position.js';
import { projections } from '../src/projections/index.js';
import { rebuildable, verifyProjection } from '../src/projections/rebuild.js';
import { workerConnection } from '../src/db/bullmq-connections.js';
import { ANALYSIS_QUEUE } from '../src/workers/queues.js';
import { createTestDatabase, latestWrittenPosition, type TestDatabase } from './database.js';
import { eventually } from './eventually.js';
import { startServer, type ServerProcess } from './process.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from './redis-test-prefix.js';
import { analysisRequests } from '../src/projections/images/analysis-requests.js';

export type Role = 'api' | 'projector' | 'worker';

export interface RoleProcess extends ServerProcess {
  name: string;
  role: Role;
}

export interface Cluster {
  db: TestDatabase;
  redisPrefix: string;
  /** The environment every process of this cluster gets. */
  env: Record<string, string>;
  processes: RoleProcess[];
  /** Starts one process of `role` (several may run); resolves once it listens. */
  start(role: Role, name?: string, env?: Record<string, string>): Promise<RoleProcess>;
  /** The BullMQ analysis queue of this cluster (for inspection). */
  queue: Queue;
  /** SIGKILLs whatever still runs, drops the database and the Redis keys. */
  close(): Promise<void>;
}

export async function createCluster(label: string, env: Record<string, string> = {}): Promise<Cluster> {
  const db = await createTestDatabase(label);
  const redisPrefix = uniqueRedisPrefix(label);
  // One signing key for every api process: a token one issues, another accepts.
  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clusterEnv: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_PRIVATE_KEY: jwtKey,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    ...env,
  };
  const processes: RoleProcess[] = [];
  const queue = new Queue(ANALYSIS_QUEUE, { connection: workerConnection(TEST_REDIS_URL), prefix: `${redisPrefix}bull` });
  let counter = 0;
  return {
    db,
    redisPrefix,
    env: clusterEnv,
    processes,
    queue,
    async start(role, name = `${role}-${++counter}`, extra = {}) {
      const server = await startServer({ ...clusterEnv, FACETRAIL_ROLE: role, ...extra }, 180_000);
      const p = { ...server, name, role };
      processes.push(p);
      return p;
    },
    async close() {
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
      await queue.close();
      await db.drop().catch(() => undefined);
      await deleteRedisKeys(redisPrefix).catch(() => undefined);
    },
  };
}

/** Sends SIGTERM and waits for the exit; resolves with the exit code and how long it took. */
export async function terminate(p: RoleProcess, timeoutMs = 60_000): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  p.child.kill('SIGTERM');
  const code = await Promise.race([
    p.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${p.name} did not exit within ${timeoutMs} ms of SIGTERM:\n${tail(p.output())}`)), timeoutMs).unref()),
  ]);
  return { code, ms: Math.round(performance.now() - started) };
}

export function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Whether the process logged that it runs `consumer` (a projection or the job bridge) actively. */
export const holdsConsumer = (p: RoleProcess, consumer: string) => new RegExp(`"projection":"${consumer}"[^\\n]*"msg":"projection active"`).test(p.output());

// ---------------------------------------------------------------------------------------------
// HTTP client

/** What became of one request: its status, or the network error it met instead. */
export interface Outcome {
  kind: 'register' | 'login' | 'upload' | 'reanalyze' | 'delete';
  /** Sent as X-Request-Id: the correlation id of the events the request caused. */
  requestId: string;
  baseUrl: string;
  status?: number;
  error?: string;
  body?: unknown;
  startedAt: number;
  endedAt: number;
}

export const accepted = (o: Outcome) => o.status !== undefined && o.status >= 200 && o.status < 300;

export class ApiClient {
  readonly outcomes: Outcome[] = [];

  async call(kind: Outcome['kind'], baseUrl: string, path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Outcome> {
    const requestId = randomUUID();
    const outcome: Outcome = { kind, requestId, baseUrl, startedAt: performance.now(), endedAt: 0 };
    try {
      const res = await fetch(`${baseUrl}${path}`, { ...init, headers: { ...init.headers, 'x-request-id': requestId } });
      outcome.status = res.status;
      const text = await res.text();
      outcome.body = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      outcome.error = cause?.code ?? cause?.message ?? (err as Error).message;
    }
    outcome.endedAt = performance.now();
    this.outcomes.push(outcome);
    return outcome;
  }

  register(baseUrl: string, email: string, password: string) {
    return this.call('register', baseUrl, '/v1/auth/register', json({ email, password, displayName: email.split('@')[0] }));
  }

  /** Registers and logs in; returns the access token. */
  async user(baseUrl: string, email = `u-${randomUUID()}@example.com`): Promise<string> {
    const password = 'correct horse battery staple';
    const reg = await this.register(baseUrl, email, password);
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status ?? reg.error} ${JSON.stringify(reg.body)}`);
    const login = await this.call('login', baseUrl, '/v1/auth/token', json({ email, password }));
    if (login.status !== 200) throw new Error(`login failed: ${login.status ?? login.error} ${JSON.stringify(login.body)}`);
    const token = (login.body as { accessToken: string }).accessToken;
    await consentToFaceAnalysis(baseUrl, token);
    return token;
  }

  upload(baseUrl: string, token: string, data: Buffer, filename: string) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), filename);
    return this.call('upload', baseUrl, '/v1/images', { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  }

  reanalyze(baseUrl: string, token: string, imageId: string) {
    return this.call('reanalyze', baseUrl, `/v1/images/${imageId}/reanalyze`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  }

  delete(baseUrl: string, token: string, imageId: string) {
    return this.call('delete', baseUrl, `/v1/images/${imageId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  }
}

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

/**
 * An upload needs face_analysis consent (issue 15): read the published policy, consent to its
 * version. Not an outcome of the client (the scenarios count commands and uploads only).
 */
export async function consentToFaceAnalysis(baseUrl: string, token: string): Promise<void> {
  const policy = await fetch(`${baseUrl}/v1/privacy/policy`);
  if (policy.status !== 200) throw new Error(`GET /v1/privacy/policy answered ${policy.status}`);
  const { version } = (await policy.json()) as { version: string };
  const res = await fetch(`${baseUrl}/v1/me/consents`, { ...json({ purpose: 'face_analysis', policyVersion: version }), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
}

// ---------------------------------------------------------------------------------------------
// Checks over the event log, the queue and the read models

export interface AnalysisLedger {
  /** Every analysis request (ImageUploaded / ImageAnalysisRequested event id) → its image stream. */
  requests: Map<string, string>;
  /** Result events (ImageAnalyzed / ImageAnalysisFailed) per request id. */
  results: Map<string, { analyzed: number; failed: number }>;
  deletedStreams: Set<string>;
  /** Requests of live (not deleted) images without a result yet. */
  pending: number;
}

export async function analysisLedger(db: TestDatabase): Promise<AnalysisLedger> {
  const { rows } = await db.pool.query<{ id: string; stream: string; type: string; request_id: string | null }>(
    `select id::text, stream, type, data->>'requestId' as request_id from es.events
      where stream like 'image-%' order by transaction_id, global_position`,
  );
  const requests = new Map<string, string>();
  const results = new Map<string, { analyzed: number; failed: number }>();
  const deletedStreams = new Set<string>();
  for (const r of rows) {
    if (r.type === 'ImageUploaded' || r.type === 'ImageAnalysisRequested') requests.set(r.id, r.stream);
    else if (r.type === 'ImageDeleted') deletedStreams.add(r.stream);
    else if (r.type === 'ImageAnalyzed' || r.type === 'ImageAnalysisFailed') {
      const n = results.get(r.request_id ?? '') ?? { analyzed: 0, failed: 0 };
      if (r.type === 'ImageAnalyzed') n.analyzed++;
      else n.failed++;
      results.set(r.request_id ?? '', n);
    }
  }
  let pending = 0;
  for (const [id, stream] of requests) if (!deletedStreams.has(stream) && !results.has(id)) pending++;
  return { requests, results, deletedStreams, pending };
}

/** Problems with "every request of a live image has exactly one result, no request more than one". */
export function exactlyOnceProblems(l: AnalysisLedger): string[] {
  const problems: string[] = [];
  for (const [id, stream] of l.requests) {
    const n = l.results.get(id);
    const total = n ? n.analyzed + n.failed : 0;
    if (l.deletedStreams.has(stream) ? total > 1 : total !== 1) problems.push(`request ${id} (${stream}) has ${total} results`);
  }
  for (const id of l.results.keys()) if (!l.requests.has(id)) problems.push(`result for unknown request ${id}`);
  return problems;
}

export const resultCount = (l: AnalysisLedger, kind: 'analyzed' | 'failed') => [...l.results.values()].reduce((s, n) => s + n[kind], 0);

/** Waits until every request of a live image has a result. */
export function waitForAnalysis(db: TestDatabase, timeoutMs: number): Promise<AnalysisLedger> {
  return eventually(async () => {
    const l = await analysisLedger(db);
    return l.pending === 0 ? l : undefined;
  }, 'every analysis request of a live image to have a result', timeoutMs, 250);
}

/** The read models and the job bridge: every consumer of the log the roles run. */
export const CONSUMERS = [...projections.map((p) => p.name), analysisRequests.name];

/** Waits until every consumer's checkpoint has passed the newest event written. */
export async function waitForCheckpoints(db: TestDatabase, timeoutMs: number): Promise<Position> {
  const target = await latestWrittenPosition(db.pool);
  await eventually(async () => {
    const { rows } = await db.pool.query<{ consumer: string; c: string; p: string }>('select consumer, commit_pos::text as c, prepare_pos::text as p from rm.checkpoints');
    const at = new Map(rows.map((r) => [r.consumer, { commit: BigInt(r.c), prepare: BigInt(r.p) }]));
    return CONSUMERS.every((c) => {
      const p = at.get(c);
      return p !== undefined && comparePositions(p, target) >= 0;
    });
  }, `checkpoints of ${CONSUMERS.join(', ')} to reach the newest event`, timeoutMs, 100);
  return target;
}

export interface JobSummary {
  counts: Record<string, number>;
  completed: number;
  failed: number;
  /** Completed jobs that ran the inference and recorded a result ('analyzed'), and that found it done ('skipped'). */
  analyzedRuns: number;
  skippedRuns: number;
  /** Jobs taken over from a dead worker (stalled and run again). */
  stalledRuns: number;
  problems: string[];
}

/** Waits until the queue is drained, then checks every job against the requests. */
export async function jobSummary(queue: Queue, ledger: AnalysisLedger, timeoutMs: number): Promise<JobSummary> {
  const counts = await eventually(async () => {
    const c = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'paused');
    return (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) === 0 ? c : undefined;
  }, 'the analysis queue to drain', timeoutMs, 100);
  const jobs = await queue.getJobs(['completed', 'failed'], 0, -1);
  const problems: string[] = [];
  const seen = new Set<string>();
  let analyzedRuns = 0;
  let skippedRuns = 0;
  let stalledRuns = 0;
  for (const job of jobs) {
    const id = job.id ?? '';
    if (seen.has(id)) problems.push(`job ${id} listed twice`);
    seen.add(id);
    if (!ledger.requests.has(id)) problems.push(`job ${id} is no analysis request`);
    if ((job.data as { requestId?: string }).requestId !== id) problems.push(`job ${id} answers another request`);
    const status = (job.returnvalue as { status?: string } | null)?.status;
    if (status === 'analyzed') analyzedRuns++;
    if (status === 'skipped') skippedRuns++;
    if ((job.stalledCounter ?? 0) > 0) stalledRuns++;
  }
  // Every result was recorded by a job with the request's id (the bridge's jobId = request id).
  for (const id of ledger.results.keys()) if (!seen.has(id)) problems.push(`request ${id} has a result but no job`);
  const analyzedEvents = resultCount(ledger, 'analyzed');
  // A job whose worker died after recording its result is re-run and finds it done ('skipped'),
  // so runs that analysed can only be fewer than the results, never more.
  if (analyzedRuns > analyzedEvents) problems.push(`${analyzedRuns} job runs analysed, but only ${analyzedEvents} ImageAnalyzed events`);
  return { counts, completed: counts.completed ?? 0, failed: counts.failed ?? 0, analyzedRuns, skippedRuns, stalledRuns, problems };
}

/** Rebuilds every read model from the log into scratch tables and compares with the live ones. */
export async function verifyReadModels(db: TestDatabase): Promise<string[]> {
  // Through the sealing store, with the key-encryption key the cluster's processes use.
  const opened = await openEventStore(loadConfig({ ...process.env, DATABASE_URL: db.url, EVENT_STORE_URL: undefined }), db.pool);
  const store = opened.store;
  try {
    const problems: string[] = [];
    for (const p of projections.filter(rebuildable)) {
      const r = await verifyProjection({ pool: db.pool, store }, p);
      for (const t of r.tables) {
        if (!t.ok) problems.push(`${t.table}: live rows=${t.live.rows} hash=${t.live.hash}, rebuilt rows=${t.rebuilt.rows} hash=${t.rebuilt.hash}; ${JSON.stringify(t.differences)}`);
      }
    }
    return problems;
  } finally {
    await opened.close();
  }
}

/**
 * Events whose metadata.correlationId is the request's X-Request-Id, except analysis results
 * (the worker's, which carry the correlation id of the request they answer).
 */
export async function eventsOf(db: TestDatabase, requestIds: string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.pool.query<{ c: string; type: string }>(
    `select metadata->>'correlationId' as c, type from es.events
      where metadata->>'correlationId' = any($1::text[]) and type not in ('ImageAnalyzed', 'ImageAnalysisFailed')
      order by global_position`,
    [requestIds],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.c, [...(out.get(r.c) ?? []), r.type]);
  return out;
}
