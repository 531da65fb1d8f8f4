// `facetrail audit:verify` over real PostgreSQL: a clean log passes; each tampering in es.events
// (edit, delete a middle event, swap two, delete the last K, insert a forged one) fails and names
// the first affected position. The same for an export verified offline.
// The tree is built here from the raw log with MerkleBuilder and written to notary.* as the
// contract says (the notary consumer is tested on its own).

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execute } from '../../../src/cli/audit-verify.js';
import { positionToCursor } from '../../../src/eventstore/position.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { canonicalEvent } from '../../../src/notary/canonical.js';
import { MerkleBuilder, leafHash } from '../../../src/notary/merkle.js';
import { storedExportLine, storedLog } from '../../../src/notary/stored-log.js';
import { CHECKPOINT_TYP } from '../../../src/notary/verify-log.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

const N = 40;
const dir = mkdtempSync(join(tmpdir(), 'ft-audit-verify-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwks = join(dir, 'jwks.json');
writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }));

function checkpoint(treeSize: number, root: Buffer, position: string) {
  const payload = { treeSize, rootHash: root.toString('base64url'), position, signedAt: new Date().toISOString() };
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1', typ: CHECKPOINT_TYP })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { ...payload, kid: 'k1', jws: `${h}.${p}.${sign(null, Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}` };
}

const dbs: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(dbs.splice(0).map((d) => d.drop()));
});

/** A database with N events (some with sealed-looking fields) notarised, checkpoints at 20 and N. */
async function notarisedLog() {
  const db = await createTestDatabase('audit_verify');
  dbs.push(db);
  const store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 50 });
  for (let i = 0; i < N; i++) {
    await store.append(`image-${i % 6}`, [{ type: 'Thing', data: { n: i, name: { $sealed: { kid: 'k', ct: `c${i}` } }, ratio: i / 3 }, metadata: { actor: { id: 'u1', role: 'user' }, correlationId: randomUUID() } }]);
  }
  const events = [];
  for await (const e of store.readAll({})) events.push(e);
  await store.close();
  const b = new MerkleBuilder();
  const cps = [];
  for (const [i, e] of events.entries()) {
    const leaf = leafHash(canonicalEvent(e));
    b.addLeaf(leaf);
    await db.pool.query('insert into notary.leaves (tree_index, event_id, position, leaf_hash) values ($1, $2, $3, $4)', [i, e.id, positionToCursor(e.position), leaf]);
    if (b.size === 20 || b.size === N) cps.push(checkpoint(b.size, b.root(), positionToCursor(e.position)));
  }
  for (const cp of cps) {
    await db.pool.query('insert into notary.checkpoints (tree_size, root_hash, position, signed_at, kid, jws) values ($1, $2, $3, $4, $5, $6)', [cp.treeSize, Buffer.from(cp.rootHash, 'base64url'), cp.position, cp.signedAt, cp.kid, cp.jws]);
  }
  const { rows } = await db.pool.query<{ gp: string; id: string }>('select global_position::text as gp, id::text from es.events order by transaction_id, global_position');
  return { db, events, cps, rows };
}

async function verifyOnline(db: TestDatabase, extra: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await execute(['--jwks', jwks, ...extra], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    online: () => {
      const store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 50 });
      return Promise.resolve({ pool: db.pool, store, close: () => store.close() });
    },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('audit:verify online', () => {
  it('passes a clean log and reports events/s', async () => {
    const { db } = await notarisedLog();
    const r = await verifyOnline(db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^ok: ${N} events, tree size ${N}, .*checkpoints verified: 20, ${N}`));
    expect(r.err).toMatch(/40 events in .* events\/s/);
  });

  it('names an edited event', async () => {
    const { db, rows } = await notarisedLog();
    await db.pool.query(`update es.events set data = jsonb_set(data, '{n}', '999') where global_position = $1`, [rows[13]!.gp]);
    const r = await verifyOnline(db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL data_differs at position 13, tree index 13, event ${rows[13]!.id}, image-1@2`);
  });

  it('names a deleted middle event', async () => {
    const { db, rows } = await notarisedLog();
    await db.pool.query('delete from es.events where global_position = $1', [rows[7]!.gp]);
    const r = await verifyOnline(db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL index_gap at position 7, tree index 7, event ${rows[8]!.id}`);
  });

  it('names two swapped events', async () => {
    const { db, rows } = await notarisedLog();
    const cols = 'id, stream, revision, type, data, metadata, recorded_at';
    const a = (await db.pool.query(`select ${cols} from es.events where global_position = $1`, [rows[25]!.gp])).rows[0] as Record<string, unknown>;
    const b = (await db.pool.query(`select ${cols} from es.events where global_position = $1`, [rows[26]!.gp])).rows[0] as Record<string, unknown>;
    const set = 'id = $2, stream = $3, revision = $4, type = $5, data = $6, metadata = $7, recorded_at = $8';
    const vals = (r: Record<string, unknown>) => [r['id'], r['stream'], r['revision'], r['type'], r['data'], r['metadata'], r['recorded_at']];
    await db.pool.query(`update es.events set ${set} where global_position = $1`, [rows[25]!.gp, randomUUID(), 'tmp', 0, 'tmp', {}, {}, new Date()]);
    await db.pool.query(`update es.events set ${set} where global_position = $1`, [rows[26]!.gp, ...vals(a)]);
    await db.pool.query(`update es.events set ${set} where global_position = $1`, [rows[25]!.gp, ...vals(b)]);
    const r = await verifyOnline(db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL index_out_of_order at position 25, tree index 26, event ${rows[26]!.id}`);
  });

  it('names the first missing position when the last K events are deleted', async () => {
    const { db, rows } = await notarisedLog();
    await db.pool.query('delete from es.events where global_position = any($1::bigint[])', [rows.slice(N - 3).map((r) => r.gp)]);
    const r = await verifyOnline(db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL log_ends_early at position ${N - 3}, tree index ${N - 3}`);
  });

  it('names a forged event inserted into history', async () => {
    const { db, rows } = await notarisedLog();
    const forged = randomUUID();
    // Same transaction as event 17, so it sorts right after it (before every later event).
    await db.pool.query(
      `insert into es.events (transaction_id, id, stream, revision, type, data, metadata)
       select transaction_id, $2, 'forged-1', 0, 'Thing', '{"n":-1}', '{}' from es.events where global_position = $1`,
      [rows[17]!.gp, forged],
    );
    const r = await verifyOnline(db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL unexpected_event at position 18, event ${forged}, forged-1@0`);
  });

  it('refuses unknown options and prints usage on --help without touching the database', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), online: () => Promise.reject(new Error('must not connect')) };
    expect(await execute(['--bogus'], io)).toBe(64);
    expect(await execute(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('usage: facetrail audit:verify');
  });
});

describe('audit:verify --export (offline)', () => {
  async function exportOf(): Promise<{ lines: Record<string, unknown>[]; cpFiles: string[] }> {
    const { db, cps } = await notarisedLog();
    // The lines GET /v1/audit/export.ndjson?form=stored serves (src/notary/stored-log.ts), less the
    // recorded leaf hashes (so an edit is caught by the checkpoint's root, not the leaf).
    const store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 50 });
    const lines: Record<string, unknown>[] = [];
    for await (const s of storedLog(store, db.pool)) lines.push({ ...(JSON.parse(storedExportLine(s)) as Record<string, unknown>), leafHash: undefined });
    await store.close();
    expect(lines).toHaveLength(N);
    expect(lines.every((l, i) => l['treeIndex'] === i)).toBe(true);
    const cpFiles = cps.map((cp) => {
      const p = join(dir, `cp-${cp.treeSize}-${randomUUID()}.json`);
      writeFileSync(p, JSON.stringify(cp));
      return p;
    });
    return { lines, cpFiles };
  }
  const offline = async (lines: unknown[], cpFiles: string[]) => {
    const file = join(dir, `log-${randomUUID()}.ndjson`);
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out: string[] = [];
    const code = await execute(['--export', file, ...cpFiles.flatMap((c) => ['--checkpoint', c]), '--jwks', jwks], { out: (l) => out.push(l), err: () => undefined });
    return { code, out: out.join('\n') };
  };

  it('passes a clean export and names the first bad event of a tampered one', async () => {
    const { lines, cpFiles } = await exportOf();
    expect(await offline(lines, cpFiles)).toMatchObject({ code: 0 });
    const tailed = [...lines, { ...lines[0]!, treeIndex: undefined, id: randomUUID(), revision: '99' }];
    expect(await offline(tailed, cpFiles)).toMatchObject({ code: 0, out: expect.stringContaining('1 events at the end not notarised yet') as unknown });
    const edited = lines.map((l, i) => (i === 30 ? { ...l, data: { n: 0 } } : l));
    expect((await offline(edited, cpFiles)).out).toMatch(/^FAIL root_mismatch at position 20, tree index 20, .*\[20, 40\)/);
    expect((await offline(lines.filter((_, i) => i !== 5), cpFiles)).out).toMatch(/^FAIL index_gap at position 5, tree index 5/);
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect((await offline(swapped, cpFiles)).out).toMatch(/^FAIL index_out_of_order at position 2, tree index 3/);
    expect((await offline(lines.slice(0, N - 2), cpFiles)).out).toMatch(new RegExp(`^FAIL log_ends_early at position ${N - 2}, tree index ${N - 2}`));
    const forged = [...lines.slice(0, 9), { ...lines[9]!, treeIndex: undefined, id: randomUUID() }, ...lines.slice(9)];
    expect((await offline(forged, cpFiles)).out).toMatch(/^FAIL unexpected_event at position 9/);
    expect((await offline(lines, [join(dir, 'jwks.json')])).out).toMatch(/^FAIL bad_signature/);
  });
});
