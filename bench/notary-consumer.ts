// The notary consumer end to end over PostgreSQL (bench/notary.ts, row "fold (PostgreSQL)"): a
// fresh database whose es.events / es.streams are filled in bulk on the server (generate_series
// over the bench's event templates, rows shaped as the adapter's append writes them, vacuumed so
// the measured reads do not set hint bits), then
//   read alone   store.readAll() over the whole log, drained (the adapter's catch-up read: the floor
//                under the consumer, measured in the same run)
//   consumer     a NotaryRunner over the store as production builds it (createEventStore, the
//                runtime's storedEventStore) from an empty tree until its checkpoint is at the head;
//                its root must equal the in-memory fold's over the same events.

import { generateKeyPair } from 'jose';
import type pg from 'pg';
import { pino } from 'pino';
import { performance } from 'node:perf_hooks';
import { CheckpointWaiter } from '../src/checkpoints/checkpoint-waiter.js';
import { createEventStore } from '../src/eventstore/create-event-store.js';
import { ed25519CheckpointSigner } from '../src/notary/checkpoint.js';
import { MerkleBuilder } from '../src/notary/merkle.js';
import { NOTARY_CONSUMER } from '../src/projections/notary/notary.js';
import { NotaryRunner } from '../src/projections/notary/notary-runner.js';
import { benchDatabase, benchDatabaseName } from './support.js';

interface Template {
  type: string;
  data: unknown;
}

/** The synthetic log of bench/notary.ts (its eventAt), described by its templates. */
export interface SyntheticLog {
  small: readonly Template[];
  large: readonly Template[];
  metas: readonly unknown[];
  t0: number;
}

const CHUNK = 100_000;

/**
 * Fills es.events with events 0 … n-1 of the synthetic log (the same ids, streams, revisions, data,
 * metadata and recorded times as eventAt(i)), in order, CHUNK per transaction, and es.streams with
 * their revisions.
 */
export async function seed(pool: pg.Pool, n: number, log: SyntheticLog): Promise<void> {
  for (let from = 0; from < n; from += CHUNK) {
    await pool.query(
      `insert into es.events (id, stream, revision, type, data, metadata, recorded_at)
       select ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'image-' || (i / 5), i % 5,
              t.v ->> 'type', t.v -> 'data', $5::jsonb -> (i % $6)::int, $7::timestamptz + i * interval '1 millisecond'
         from generate_series($1::bigint, $2::bigint - 1) as i
        cross join lateral (select case when i % 5 = 4 then $3::jsonb -> (i % $8)::int else $4::jsonb -> (i % $9)::int end as v) t
        order by i`,
      [from, Math.min(n, from + CHUNK), JSON.stringify(log.large), JSON.stringify(log.small), JSON.stringify(log.metas), log.metas.length, new Date(log.t0).toISOString(), log.large.length, log.small.length],
    );
  }
  await pool.query(`insert into es.streams (stream, revision) select stream, max(revision) from es.events group by stream`);
  await pool.query('vacuum (analyze) es.events');
  await pool.query('vacuum (analyze) es.streams');
}

export interface ConsumerFigures {
  seedSeconds: number;
  readSeconds: number[];
  consumerSeconds: number;
  /** This process's CPU while the consumer ran (the runner is in process): its share of the wall time says whether Node's thread is the limit. */
  consumerCpuSeconds: number;
}

/** Seeds n events, reads them all, runs the notary consumer over them; checks its root against `root`. */
export async function measureConsumer(n: number, log: SyntheticLog, root: Buffer): Promise<ConsumerFigures> {
  const db = await benchDatabase(benchDatabaseName('notary'));
  const logger = pino({ level: 'silent' });
  try {
    let t = performance.now();
    await seed(db.pool, n, log);
    const seedSeconds = (performance.now() - t) / 1000;
    const store = await createEventStore({ eventStoreUrl: undefined, pool: db.pool, databaseUrl: db.url });
    const waiter = new CheckpointWaiter(db.pool, db.url);
    try {
      const readAll = async () => {
        const start = performance.now();
        let count = 0;
        for await (const _ of store.readAll()) count++;
        if (count !== n) throw new Error(`readAll returned ${count} events, expected ${n}`);
        return (performance.now() - start) / 1000;
      };
      const readSeconds = [await readAll()];
      const head = await store.headPosition();
      if (!head) throw new Error('empty log');
      const keys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const signer = ed25519CheckpointSigner({ privateKey: keys.privateKey, kid: 'bench' });
      t = performance.now();
      const cpu = process.cpuUsage();
      // The production defaults (config NOTARY_CHECKPOINT_EVERY_EVENTS / _MS) and runner options.
      const runner = new NotaryRunner(db.url, store, db.pool, { signer, policy: { everyEvents: 1_000, everyMs: 60_000 } }, logger).start();
      try {
        if (!(await waiter.waitFor([NOTARY_CONSUMER], head, 30 * 60_000))) throw new Error('the notary did not reach the head');
      } finally {
        await runner.stop();
      }
      const consumerSeconds = (performance.now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      const consumerCpuSeconds = (used.user + used.system) / 1e6;
      const { rows } = await db.pool.query<{ tree_size: string; frontier: Buffer[] }>('select tree_size::text, frontier from notary.state');
      const state = rows[0];
      if (!state || Number(state.tree_size) !== n) throw new Error(`notary tree of ${state?.tree_size} leaves, expected ${n}`);
      const got = new MerkleBuilder(n, state.frontier).root();
      if (!got.equals(root)) throw new Error('the notary consumer built a different root than the in-memory fold');
      readSeconds.push(await readAll());
      return { seedSeconds, readSeconds, consumerSeconds, consumerCpuSeconds };
    } finally {
      await waiter.close();
      await store.close();
    }
  } finally {
    await db.drop();
  }
}
