// `facetrail audit:verify` — recompute the notary's Merkle tree from the log and check it against
// the signed checkpoints (src/notary/verify-log.ts names the first bad event).
//   online:  facetrail audit:verify [--jwks jwks.json]
//            reads es.events in global order through the RAW store (data as stored, sealed fields
//            as ciphertext: never the opening wrapper), notary.leaves and notary.checkpoints.
//   offline: facetrail audit:verify --export log.ndjson --checkpoint cp.json [--checkpoint …] [--jwks jwks.json]
//            no database: an export (GET /v1/audit/export.ndjson?form=stored) and checkpoint files
//            (GET /v1/audit/checkpoints/{treeSize}); without --jwks the service's configured key.
// Exit 0 verified, 1 not verified (the first bad event on stdout), 64 bad usage.

import { readFile } from 'node:fs/promises';
import type { JsonWebKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { EX_USAGE, type CommandOptions } from './command.js';
import { fileProblem } from './describe-error.js';
import { assertReachable } from '../db/connection-error.js';
import { loadSigningKeys } from '../auth/keys.js';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { createEventStore } from '../eventstore/create-event-store.js';
import type { EventStore } from '../eventstore/types.js';
import { readExportFile } from '../notary/export-lines.js';
import { storedLog } from '../notary/stored-log.js';
import { type CheckpointJson, type Progress, type VerifyResult, verifyLog } from '../notary/verify-log.js';

export const summary = 'check the log (the database, or an NDJSON export) against the signed Merkle checkpoints';
export const options = { export: { type: 'string' }, checkpoint: { type: 'string', multiple: true }, jwks: { type: 'string' } } satisfies CommandOptions;

export const usage = [
  'usage: facetrail audit:verify [--jwks jwks.json]',
  '       facetrail audit:verify --export log.ndjson --checkpoint cp.json [--checkpoint cp2.json ...] [--jwks jwks.json]',
  '',
  'Recomputes the notary Merkle tree from the log (online: the database; offline: an NDJSON export)',
  'and checks every signed checkpoint; names the first bad event. --jwks: the public keys (a JWKS or',
  'one JWK; default: the service key from the configuration). Exit 0 ok, 1 not verified, 64 usage.',
].join('\n');

export interface AuditVerifyIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where the progress bar goes (only when it is a TTY). */
  progress?: NodeJS.WriteStream | undefined;
  /** The raw (unsealed) store and the pool of the online mode. */
  online?: () => Promise<{ pool: pg.Pool; store: EventStore; close(): Promise<void> }>;
  /** The service's public keys when --jwks is not given. */
  serviceJwks?: () => Promise<JsonWebKey[]>;
}

export async function run(args: string[]): Promise<number> {
  return execute(args, {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    progress: process.stderr,
    online: async () => {
      const config = loadConfig();
      const pool = createPool(config.databaseUrl, { max: 4, applicationName: 'facetrail-cli-audit-verify' });
      try {
        await assertReachable(pool, config.databaseUrl);
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
      // The raw adapter, not openEventStore's sealing/opening one: the tree covers the stored form.
      const store = await createEventStore({ eventStoreUrl: config.eventStoreUrl, esdbMaxAppendBytes: config.esdbMaxAppendBytes, pool, databaseUrl: config.databaseUrl });
      return { pool, store, close: async () => { await store.close(); await pool.end(); } };
    },
    serviceJwks: async () => {
      const config = loadConfig();
      const keys = await loadSigningKeys({ privateKeyPem: config.auth.privateKeyPem, privateKeyFile: config.auth.privateKeyFile, devKeyFile: config.auth.devKeyFile, allowDevKey: config.nodeEnv !== 'production' });
      return [{ ...keys.publicJwk, kid: keys.kid }];
    },
  });
}

class UsageError extends Error {}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${fileProblem(err) ?? `${path}: ${String(err)}`}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} ${path}: not JSON`);
  }
}

async function jwksFrom(path: string): Promise<JsonWebKey[]> {
  const j = (await readJson(path, '--jwks')) as { keys?: unknown };
  const keys = Array.isArray(j.keys) ? (j.keys as JsonWebKey[]) : [j as JsonWebKey];
  return keys;
}

export async function execute(args: string[], io: AuditVerifyIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, allowPositionals: false, strict: true, options: { ...options, help: { type: 'boolean' } } }));
  } catch (err) {
    io.err(`audit:verify: ${(err as Error).message}\n\n${usage}`);
    return EX_USAGE;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  try {
    const jwks = values.jwks !== undefined ? await jwksFrom(values.jwks) : undefined;
    const needJwks = async () => {
      if (jwks) return jwks;
      if (!io.serviceJwks) throw new UsageError('--jwks is required');
      return io.serviceJwks();
    };
    let result: VerifyResult;
    if (values.export !== undefined) {
      if (!values.checkpoint?.length) throw new UsageError('--export needs at least one --checkpoint');
      const checkpoints = await Promise.all(values.checkpoint.map((p) => readJson(p, '--checkpoint') as Promise<CheckpointJson>));
      const trailers: CheckpointJson[] = [];
      result = await verifyLog(readExportFile(values.export, (cp) => trailers.push(cp)), { checkpoints, jwks: await needJwks(), onProgress: progressBar(io) });
      if (trailers.length > 0) io.err(`audit:verify: ${trailers.length} checkpoint line(s) in the export were not used (only --checkpoint files are trusted)`);
    } else {
      if (values.checkpoint?.length) throw new UsageError('--checkpoint goes with --export (online, the checkpoints are read from notary.checkpoints)');
      if (!io.online) throw new UsageError('no database configured');
      const db = await io.online();
      try {
        const keys = await needJwks();
        const checkpoints = await storedCheckpoints(db.pool);
        const { rows } = await db.pool.query<{ size: string }>('select coalesce(max(tree_index) + 1, 0)::text as size from notary.leaves');
        const expectedTreeSize = Number(rows[0]?.size ?? '0');
        result = await verifyLog(storedLog(db.store, db.pool), { checkpoints, jwks: keys, expectedTreeSize, onProgress: progressBar(io) });
      } finally {
        await db.close();
      }
    }
    clearBar(io);
    report(result, io);
    return result.ok ? 0 : 1;
  } catch (err) {
    clearBar(io);
    if (err instanceof UsageError) {
      io.err(`audit:verify: ${err.message}`);
      return EX_USAGE;
    }
    if (err instanceof Error && err.name === 'ExportLineError') {
      io.out(`FAIL bad_input: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function report(r: VerifyResult, io: AuditVerifyIo): void {
  const rate = r.seconds > 0 ? Math.round(r.events / r.seconds) : r.events;
  if (r.ok) {
    io.out(`ok: ${r.events} events, tree size ${r.treeSize}, root ${r.root.toString('base64url')}; checkpoints verified: ${r.checkpointsChecked.join(', ') || 'none'}` + (r.tail ? `; ${r.tail} events at the end not notarised yet (not covered by any checkpoint)` : ''));
  } else {
    const a = r.at;
    const where = [`position ${a.ordinal}`, a.treeIndex !== undefined ? `tree index ${a.treeIndex}` : undefined, a.eventId ? `event ${a.eventId}` : undefined, a.stream ? `${a.stream}@${a.revision}` : undefined, a.position ? `cursor ${a.position}` : undefined].filter(Boolean).join(', ');
    io.out(`FAIL ${r.reason} at ${where}: ${r.message}`);
  }
  io.err(`audit:verify: ${r.events} events in ${r.seconds.toFixed(2)} s (${rate} events/s)`);
}

function progressBar(io: AuditVerifyIo): ((p: Progress) => void) | undefined {
  const tty = io.progress;
  if (!tty?.isTTY) return undefined;
  return (p) => {
    const width = 30;
    const frac = p.target > 0 ? Math.min(p.count / p.target, 1) : 0;
    const filled = Math.round(frac * width);
    tty.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.target > 0 ? `${Math.floor(frac * 100)}% ` : ''}${p.count} events ${Math.round(p.eventsPerSecond)} events/s `);
  };
}

function clearBar(io: AuditVerifyIo): void {
  if (io.progress?.isTTY) io.progress.write('\r\x1b[K');
}

async function storedCheckpoints(pool: pg.Pool): Promise<CheckpointJson[]> {
  const { rows } = await pool.query<{ tree_size: string; root_hash: Buffer; position: string; signed_at: Date; kid: string; jws: string }>(
    'select tree_size::text, root_hash, position, signed_at, kid, jws from notary.checkpoints order by tree_size',
  );
  return rows.map((r) => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash.toString('base64url'), position: r.position, signedAt: r.signed_at.toISOString(), kid: r.kid, jws: r.jws }));
}
