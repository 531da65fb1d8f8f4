// The analysis worker (DESIGN.md §6): takes a job from the `analysis` queue, loads the blob, runs
// the face pipeline and reports the result through the image commands. Each job answers one
// request (its event id); the decider records at most one result per request, so a job that runs
// twice (stalled after a crash, retried, replayed) records nothing new the second time.
//
// Failures:
// - an image the pipeline refuses (InferenceInputError: corrupt, unsupported, too large) or a
//   missing blob will not get better: ImageAnalysisFailed at once, UnrecoverableError (no retry);
// - anything else is retried with the job's exponential backoff; the last attempt records
//   ImageAnalysisFailed before it throws (so a crash after the record changes nothing: the job
//   stalls, runs again and its record is a no-op). A `failed` listener records it again as a
//   fallback for when that record itself failed; recordFailure is idempotent per request.

import { ConsentWithdrawnError, NoLiveKeyError, SubjectErasedError } from '../../privacy/errors.js';
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { BlobStore } from '../../blobs/blob-store.js';
import { loadStream } from '../../commands/command-handler.js';
import type { CommandContext } from '../../commands/context.js';
import type { ImageService } from '../../commands/images/image-service.js';
import { imageDecider } from '../../domain/images/image.js';
import { imageStream } from '../../domain/images/image-events.js';
import type { EventStore } from '../../eventstore/types.js';
import type { FaceAnalyzer } from '../../inference/analyzer.js';
import { InferenceInputError } from '../../inference/errors.js';
import type { DetectorName, ModelIdentity } from '../../inference/types.js';
import { pipelineRef } from '../../inference/pipeline-ref.js';
import type { AnalysisJobData } from '../../domain/images/analysis-job.js';
import { ANALYSIS_QUEUE } from '../queues.js';
import { workerConnection } from '../../db/bullmq-connections.js';
import { reportRedisError } from '../../db/redis-outage.js';
import type { QueueWorker } from '../worker-role.js';
import { AnalyzerPool } from './analyzer-pool.js';

export interface AnalysisWorkerDeps {
  redisUrl: string;
  /** BullMQ key prefix (bullPrefix(config)). */
  prefix: string;
  analyzer: Pick<FaceAnalyzer, 'analyze'>;
  blobs: Pick<BlobStore, 'get'>;
  images: Pick<ImageService, 'recordAnalysis' | 'recordFailure'>;
  /** When given, a job whose request is already answered (or whose image is deleted) skips the inference. */
  store?: EventStore;
  detector: DetectorName;
  concurrency: number;
  /** BullMQ lock: a worker that dies loses its job to another one after this long. */
  lockDurationMs: number;
  /** How often stalled jobs are looked for (default: lockDurationMs). */
  stalledIntervalMs?: number;
  logger: Logger;
  /** Called with the model and the duration of every successful inference (metrics). */
  onInference?: (model: ModelIdentity, seconds: number) => void;
  /** Called when the processor starts a job (tests use it to stop a job half-way). */
  onJobStart?: (job: Job<AnalysisJobData>) => void | Promise<void>;
}

export interface AnalysisResultSummary {
  status: 'analyzed' | 'skipped';
  faces?: number;
  durationMs?: number;
}

export interface AnalysisWorkerHandle {
  worker: Worker<AnalysisJobData, AnalysisResultSummary>;
  /** Stops taking jobs and waits for the ones in hand. */
  close(): Promise<void>;
}

/** A failure that retrying cannot fix. */
class PermanentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const workerActorId = () => `worker:${hostname()}:${process.pid}`;

const MAX_ERROR_MESSAGE = 500;

export function startAnalysisWorker(deps: AnalysisWorkerDeps): AnalysisWorkerHandle {
  const log = deps.logger.child({ component: 'analysis-worker' });
  const actor = { id: workerActorId(), kind: 'worker' as const };
  const model = pipelineRef(deps.detector);

  const contextFor = (job: Job<AnalysisJobData>): CommandContext => ({
    actor,
    correlationId: job.data.correlationId,
    causationId: job.data.requestId,
  });

  const recordFailure = (job: Job<AnalysisJobData>, code: string, message: string, attempts: number) =>
    deps.images.recordFailure(
      job.data.imageId,
      { requestId: job.data.requestId, model, error: { code, message: message.slice(0, MAX_ERROR_MESSAGE) }, attempts },
      contextFor(job),
    );

  async function analyze(job: Job<AnalysisJobData>): Promise<AnalysisResultSummary> {
    const { imageId, requestId, sha256 } = job.data;
    if (deps.store) {
      const { state } = await loadStream(deps.store, imageDecider, imageStream(imageId));
      // No stream (cannot happen for a job the bridge made): there is nothing to report a result to.
      if (state.status === 'none') {
        log.warn({ jobId: job.id, imageId }, 'analysis job for an image that does not exist; skipped');
        return { status: 'skipped' };
      }
      if (state.status === 'deleted' || state.status === 'erased' || state.answered.has(requestId)) return { status: 'skipped' };
    }
    const blob = await deps.blobs.get(sha256);
    if (!blob) throw new PermanentFailure('blob_missing', `no blob with sha256 ${sha256}`);
    const started = performance.now();
    let result;
    try {
      result = await deps.analyzer.analyze(blob.data, { detector: deps.detector });
    } catch (err) {
      if (err instanceof InferenceInputError) throw new PermanentFailure(err.code, err.message);
      throw err;
    }
    const elapsedMs = performance.now() - started;
    deps.onInference?.(result.model, elapsedMs / 1000);
    const durationMs = Math.round(elapsedMs);
    try {
      await deps.images.recordAnalysis(imageId, { requestId, model: result.model, faces: result.faces, durationMs }, contextFor(job));
    } catch (err) {
      // Erased meanwhile (image or account), or the consent withdrawn: the faces may not be recorded.
      if (err instanceof SubjectErasedError || err instanceof NoLiveKeyError || err instanceof ConsentWithdrawnError) {
        log.info({ jobId: job.id, imageId, code: err.code }, 'analysis result not recorded: its data may no longer be collected');
        return { status: 'skipped' };
      }
      throw err;
    }
    // One line per analysed image: what an operator looks for first (which image, how many faces, how long, which model).
    log.info({ jobId: job.id, imageId, faces: result.faces.length, ms: durationMs, model: `${result.model.name}@${result.model.version}` }, 'image analysed');
    return { status: 'analyzed', faces: result.faces.length, durationMs };
  }

  async function processor(job: Job<AnalysisJobData>): Promise<AnalysisResultSummary> {
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    await deps.onJobStart?.(job);
    try {
      const summary = await analyze(job);
      log.debug({ jobId: job.id, imageId: job.data.imageId, ...summary }, 'analysis job done');
      return summary;
    } catch (err) {
      if (err instanceof PermanentFailure) {
        await recordFailure(job, err.code, err.message, attempt);
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      if (attempt >= attempts) {
        await recordFailure(job, 'analysis_failed', (err as Error).message ?? String(err), attempt);
      }
      throw err;
    }
  }

  const worker = new Worker<AnalysisJobData, AnalysisResultSummary>(ANALYSIS_QUEUE, processor, {
    connection: workerConnection(deps.redisUrl),
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.stalledIntervalMs ?? deps.lockDurationMs,
    maxStalledCount: 1,
  });

  worker.on('error', (err) => reportRedisError(log, 'analysis worker', err));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'warn' : 'info']({ jobId: job.id, imageId: job.data.imageId, attemptsMade: job.attemptsMade, err: err.message }, final ? 'analysis job failed' : 'analysis job failed; will retry');
    if (!final || err.name === 'UnrecoverableError') return;
    // Fallback for a final failure whose record in the processor did not happen (a no-op otherwise).
    recordFailure(job, 'analysis_failed', err.message, job.attemptsMade).catch((recordErr: unknown) =>
      log.error({ jobId: job.id, err: recordErr }, 'could not record the analysis failure; the stale-image scheduler will request it again'),
    );
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'analysis job stalled (its worker died?); it runs again'));

  return {
    worker,
    async close() {
      await worker.close();
    },
  };
}

/**
 * The analysis queue's worker (StartWorkersOptions.analysis): one analyzer thread per concurrent
 * job, so inference never blocks this process's event loop.
 */
export const analysisQueueWorker: QueueWorker = {
  queue: ANALYSIS_QUEUE,
  option: 'analysis',
  async start(d) {
    const w = d.config.workers;
    const analyzer = await AnalyzerPool.create({ size: w.concurrency, threads: w.inferenceThreads || undefined });
    const metrics = d.metrics;
    const handle = startAnalysisWorker({
      redisUrl: d.config.redisUrl,
      prefix: d.prefix,
      analyzer,
      blobs: d.blobs,
      images: d.images,
      store: d.eventStore,
      detector: w.detector,
      concurrency: w.concurrency,
      lockDurationMs: w.jobLockMs,
      logger: d.logger,
      ...(metrics ? { onInference: (model, seconds) => metrics.inferenceDuration.observe({ model: model.name, version: model.version }, seconds) } : {}),
    });
    return {
      async stop() {
        try {
          await handle.close(); // finishes the jobs in hand
        } finally {
          await analyzer.close();
        }
      },
    };
  },
};
