// Issue 14, item 8 for the projections:* commands: like the server roles, projections:rebuild,
// :status and :verify refuse a database whose rm.checkpoints came from the other event store kind
// (here: PostgreSQL-recorded checkpoints, EVENT_STORE_URL=esdb://…), before they read or write
// anything: no read reaches the store, no checkpoint or read-model table changes.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimCheckpoints } from '../../../src/checkpoints/checkpoint-source.js';
import { writeCheckpoint } from '../../../src/checkpoints/checkpoints.js';
import { describeEventStore } from '../../../src/eventstore/create-event-store.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { startEsdbPeer, type EsdbPeer } from '../../support/esdb-peer.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let db: TestDatabase;
let peer: EsdbPeer;

function cli(args: string[], eventStoreUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url, EVENT_STORE_URL: eventStoreUrl, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the commands could change: the checkpoints and the read-model relations (a swap replaces them). */
async function snapshot() {
  const checkpoints = await db.pool.query(`select consumer, commit_pos::text, prepare_pos::text, events_applied::text from rm.checkpoints order by consumer`);
  const relations = await db.pool.query(`select n.nspname, c.relname, c.oid::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname like 'rm%' order by 1, 2`);
  const source = await db.pool.query('select kind, identity from rm.checkpoint_source');
  return { checkpoints: checkpoints.rows, relations: relations.rows, source: source.rows };
}

beforeAll(async () => {
  db = await createTestDatabase('g_cli_cpsource');
  peer = await startEsdbPeer(); // answers every read: an empty log
  const store = new PostgresEventStore(db.pool, { url: db.url });
  try {
    await claimCheckpoints(db.pool, describeEventStore(undefined));
    const { position } = await store.append(`g-cli-cpsource-${randomUUID()}`, [{ type: 'Something', data: { n: 1 } }], { expectedRevision: 'no_stream' });
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await writeCheckpoint(client, 'users', position, 1);
      await client.query('commit');
    } finally {
      client.release();
    }
  } finally {
    await store.close();
  }
});
afterAll(async () => {
  await peer?.close();
  await db?.drop();
});

describe('projections:* on a database whose checkpoints came from the other store', () => {
  const cases: [string, string[], () => string][] = [
    ['projections:rebuild all (scripted EventStoreDB peer)', ['projections:rebuild', 'all'], () => peer.url],
    ['projections:verify (scripted EventStoreDB peer)', ['projections:verify'], () => peer.url],
    ['projections:status (scripted EventStoreDB peer)', ['projections:status'], () => peer.url],
    ['projections:status (nothing listening)', ['projections:status'], () => 'esdb://admin:s3cret@127.0.0.1:1?tls=false'],
  ];
  for (const [label, args, url] of cases) it(`${label} stops with the message naming both stores, before reading or writing anything`, async () => {
    const before = await snapshot();
    const readsBefore = peer.reads.length;
    const res = await cli(args, url());
    expect(res.stderr).toMatch(/written by the postgres event store \(this database\)/);
    expect(res.stderr).toMatch(/configured for the esdb event store \(127\.0\.0\.1:\d+\)/);
    expect(res.stderr).not.toMatch(/s3cret/);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(peer.reads.length - readsBefore, 'the command read from the event store').toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});
