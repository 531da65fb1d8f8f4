// Runs the analysis worker in a child process for the crash test. Environment: DATABASE_URL,
// REDIS_URL, BULL_PREFIX, JOB_LOCK_MS, STALLED_INTERVAL_MS and HOLD_JOBS=1 (a job that starts
// prints `JOB_ACTIVE <jobId>` and then never finishes, so the test can kill the process mid-job).

import { pino } from 'pino';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { ImageService } from '../../src/commands/images/image-service.js';
import { createPool } from '../../src/db/pool.js';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.js';
import { FaceAnalyzer } from '../../src/inference/analyzer.js';
import { startAnalysisWorker } from '../../src/workers/images/analysis-worker.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const databaseUrl = env('DATABASE_URL');
const pool = createPool(databaseUrl, { max: 4, applicationName: 'test-analysis-worker-child' });
const store = new PostgresEventStore(pool, { url: databaseUrl });
const blobs = new BlobStore(pool);
const analyzer = await FaceAnalyzer.create({ threads: 1 });
const hold = process.env.HOLD_JOBS === '1';

const handle = startAnalysisWorker({
  redisUrl: env('REDIS_URL'),
  prefix: env('BULL_PREFIX'),
  analyzer,
  blobs,
  images: new ImageService(store, blobs),
  store,
  detector: 'ssd',
  concurrency: 1,
  lockDurationMs: Number(env('JOB_LOCK_MS')),
  stalledIntervalMs: Number(process.env.STALLED_INTERVAL_MS ?? env('JOB_LOCK_MS')),
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, process.stderr),
  onJobStart: async (job) => {
    process.stdout.write(`JOB_ACTIVE ${job.id}\n`);
    if (hold) await new Promise<never>(() => undefined);
  },
});
await handle.worker.waitUntilReady();
process.stdout.write('WORKER_READY\n');

process.once('SIGTERM', () => {
  void (async () => {
    await handle.close();
    await analyzer.close();
    await store.close();
    await pool.end();
    process.exit(0);
  })();
});
