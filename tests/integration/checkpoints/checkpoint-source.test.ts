// Issue 14, item 8: one event store per database. Checkpoints written with positions of one store
// kind refuse a process configured for the other, before anything subscribes.

import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startRuntime } from '../../../src/runtime.js';
import { claimCheckpoints, CheckpointSourceMismatchError } from '../../../src/checkpoints/checkpoint-source.js';
import { writeCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import { describeEventStore } from '../../../src/eventstore/create-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { testLogger } from '../../support/silent-logger.js';

function configFor(db: TestDatabase, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: `ft-test-g-cpsource-${randomUUID().slice(0, 8)}:`,
    JWT_DEV_KEY_FILE: path.join(os.tmpdir(), `facetrail-test-g-cpsource-${db.name}.json`),
    ...env,
  });
}

async function source(db: TestDatabase) {
  const { rows } = await db.pool.query<{ kind: string; identity: string }>('select kind, identity from rm.checkpoint_source');
  return rows[0];
}

describe('one event store per database (rm.checkpoint_source)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('g_cpsource');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('records the kind on empty checkpoints, refuses the other kind once checkpoints exist, accepts the same kind', async () => {
    const first = await startRuntime(configFor(db), testLogger);
    try {
      expect(await source(db)).toMatchObject({ kind: 'postgres' });
      const { position } = await first.eventStore.append(`g-cpsource-${randomUUID()}`, [{ type: 'Something', data: { n: 1 } }], { expectedRevision: 'no_stream' });
      const client = await first.pool.connect();
      try {
        await client.query('begin');
        await writeCheckpoint(client, 'users', position, 1);
        await client.query('commit');
      } finally {
        client.release();
      }
    } finally {
      await first.close();
    }

    const refused = startRuntime(configFor(db, { EVENT_STORE_URL: 'esdb://admin:s3cret@127.0.0.1:1?tls=false' }), testLogger);
    await expect(refused).rejects.toBeInstanceOf(CheckpointSourceMismatchError);
    const message = await refused.catch((err: Error) => err.message);
    expect(message).toMatch(/written by the postgres event store/);
    expect(message).toMatch(/configured for the esdb event store \(127\.0\.0\.1:1\)/);
    expect(message).not.toMatch(/s3cret/);
    expect(await source(db)).toMatchObject({ kind: 'postgres' });

    const again = await startRuntime(configFor(db), testLogger);
    await again.close();
  });

  it('an esdb record refuses the PostgreSQL store; emptied checkpoints take the new kind', async () => {
    const other = await createTestDatabase('g_cpsource_esdb');
    try {
      await claimCheckpoints(other.pool, describeEventStore('esdb+discover://node1:2113,node2:2113'));
      expect(await source(other)).toEqual({ kind: 'esdb', identity: 'cluster via node1:2113,node2:2113' });
      await other.pool.query(`insert into rm.checkpoints (consumer, commit_pos, prepare_pos) values ('users', 10, 10)`);
      const err = await claimCheckpoints(other.pool, describeEventStore(undefined)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointSourceMismatchError);
      expect((err as Error).message).toMatch(/written by the esdb event store \(cluster via node1:2113,node2:2113\).*configured for the postgres event store/);
      await other.pool.query('delete from rm.checkpoints');
      await claimCheckpoints(other.pool, describeEventStore(undefined));
      expect(await source(other)).toMatchObject({ kind: 'postgres' });
    } finally {
      await other.drop();
    }
  });

  it('checkpoints from before the record are attributed by the data (es.events present: PostgreSQL)', async () => {
    const legacy = await createTestDatabase('g_cpsource_legacy');
    try {
      await legacy.pool.query(`insert into es.events (id, stream, revision, type, data, metadata) values ($1, 's', 0, 'T', '{}', '{}')`, [randomUUID()]);
      await legacy.pool.query(`insert into rm.checkpoints (consumer, commit_pos, prepare_pos) values ('users', 10, 1)`);
      await expect(claimCheckpoints(legacy.pool, { kind: 'esdb', identity: 'h:2113' })).rejects.toThrow(/postgres event store \(this database \(inferred/);
      await legacy.pool.query('delete from es.events');
      await claimCheckpoints(legacy.pool, { kind: 'esdb', identity: 'h:2113' });
      expect(await source(legacy)).toEqual({ kind: 'esdb', identity: 'h:2113' });
    } finally {
      await legacy.drop();
    }
  });
});
