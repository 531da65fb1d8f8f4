// startWorkers wires bridge + analysis worker + schedulers from the config; shutdown lets the job
// in hand finish.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createMaintenanceQueue } from '../../../src/workers/maintenance.js';
import { startWorkers } from '../../../src/workers/start-workers.js';
import { eventually } from '../../../support/eventually.js';
import { TEST_REDIS_URL } from '../../../support/redis-test-prefix.js';
import { imageEvents, ofType, readSample, uploadSample } from '../../support/image-samples.js';
import { createImagesFixture, startAnalysisPipeline, type ImagesFixture } from '../../support/pipeline.js';
import { testLogger } from '../../support/silent-logger.js';
import { until } from '../../support/until.js';

let f: ImagesFixture;

beforeAll(async () => {
  f = await createImagesFixture('workers_start');
});

afterAll(async () => {
  await f?.stop();
});

const analyzedCount = async (imageId: string) => ofType(await imageEvents(f.store, imageId), 'ImageAnalyzed').length;

describe('startWorkers', () => {
  it('analyses an upload with everything built from the config, and stops cleanly', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: f.db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${f.redisPrefix}a:`,
      SCHEDULER_EVERY_MS: '60000',
      WORKER_CONCURRENCY: '1',
    });
    const workers = await startWorkers({ config, logger: testLogger, pool: f.db.pool, eventStore: f.store });
    try {
      const { imageId } = await uploadSample(f, await readSample('sample4.jpg'));
      await eventually(async () => (await analyzedCount(imageId)) === 1, 'the upload to be analysed', 20_000);
      const maintenance = createMaintenanceQueue(TEST_REDIS_URL, `${f.redisPrefix}a:bull`, testLogger);
      try {
        await eventually(async () => (await maintenance.getJobSchedulers()).length === 3, 'three schedulers');
      } finally {
        await maintenance.close();
      }
    } finally {
      await workers.stop();
    }
  });

  it('stops promptly when Redis never answered, even with a batch waiting to be enqueued', async () => {
    await uploadSample(f, await readSample('sample1.jpg'));
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: f.db.url, REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: `${f.redisPrefix}c:` });
    const workers = await startWorkers({ config, logger: testLogger, pool: f.db.pool, eventStore: f.store }, { analysis: false });
    // The bridge is inside its transaction, waiting for Redis to take the jobs.
    await eventually(async () => {
      const { rows } = await f.db.pool.query<{ state: string }>(`select state from pg_stat_activity where application_name like 'facetrail-projector-job-bridge@%'`);
      return rows.some((r) => r.state === 'idle in transaction');
    }, 'the bridge to hold a batch');
    const started = Date.now();
    await workers.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('closing the analysis worker waits for the job in hand, which still records its result', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held: string | undefined; // image of the job in hand (earlier tests may have left one unanswered)
    const pipeline = await startAnalysisPipeline(f, {
      bull: `${f.redisPrefix}b:bull`,
      worker: {
        onJobStart: async (job) => {
          held = job.data.imageId;
          await gate;
        },
      },
    });
    const worker = pipeline.worker;
    try {
      await uploadSample(f, await readSample('sample5.jpg'));
      await until(() => held !== undefined, 'the job to start', 15_000);
      const imageId = held!;
      let countWhenClosed: number | undefined;
      const closing = worker.close().then(async () => (countWhenClosed = await analyzedCount(imageId)));
      // Let close() run as far as it goes on its own (its Redis round trips included): it must
      // not return while the job is held.
      await eventually(async () => (await pipeline.jobs.getActiveCount()) === 1 && worker.worker.closing !== undefined, 'close to have started');
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(countWhenClosed).toBeUndefined();
      release();
      await closing;
      expect(countWhenClosed).toBe(1);
      expect(await analyzedCount(imageId)).toBe(1);
    } finally {
      release();
      await pipeline.stop();
    }
  });
});
