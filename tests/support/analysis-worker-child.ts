// Runs the analysis worker in a child process for the crash test. Environment: DATABASE_URL,
// REDIS_URL, BULL_PREFIX, JOB_LOCK_MS, STALLED_INTERVAL_MS and HOLD_JOBS=1 (a job that starts
// prints `JOB_ACTIVE <jobId>` and then never finishes, so the test can kill the process mid-job).

import { pino } from 'pino';
import { createPool } from '../../src/db/pool.js';
import { imagesGround, startAnalysisPipeline } from './pipeline.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const databaseUrl = env('DATABASE_URL');
const pool = createPool(databaseUrl, { max: 4, applicationName: 'test-analysis-worker-child' });
const ground = imagesGround(pool, databaseUrl);
const hold = process.env.HOLD_JOBS === '1';

const pipeline = await startAnalysisPipeline(ground, {
  redisUrl: env('REDIS_URL'),
  bull: env('BULL_PREFIX'),
  bridge: false,
  worker: {
    lockDurationMs: Number(env('JOB_LOCK_MS')),
    stalledIntervalMs: Number(process.env.STALLED_INTERVAL_MS ?? env('JOB_LOCK_MS')),
    onJobStart: async (job) => {
      process.stdout.write(`JOB_ACTIVE ${job.id}\n`);
      if (hold) await new Promise<never>(() => undefined);
    },
  },
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, process.stderr),
});
await pipeline.worker.worker.waitUntilReady();
process.stdout.write('WORKER_READY\n');

process.once('SIGTERM', () => {
  void (async () => {
    await pipeline.stop();
    await ground.store.close();
    await pool.end();
    process.exit(0);
  })();
});
