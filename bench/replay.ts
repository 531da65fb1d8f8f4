// `npm run bench -- replay [--quick] [--keep] [--unsealed]`: rebuild of every projection (users,
// sessions, images) over 1 000 000 events (--quick: 100 000) in a realistic mix: e-mail claims and
// user registrations (some role and password changes), sessions with rotations and revocations,
// image uploads, analyses with 1–3 faces (68 landmarks, 128-D float32 descriptors), failures,
// re-analyses and deletions. Reports events/s of `projections:rebuild all` (replay, indexes,
// swap). --keep keeps the generated database for the next run (and reuses it if it is there).
// By default the log is written and replayed as the runtime does it: through the sealing store
// (src/privacy), with each subject's keys created as the command side creates them (registration:
// profile; upload: content and face_analysis per image), so the replay opens every sealed field.
// --unsealed writes and replays the bare PostgreSQL store (another database): the figure before
// sealing. Storage per analysed image (es.events + rm.faces, as PostgreSQL stores them) is printed
// after the table.

import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import type { FaceRecord } from '../src/domain/images/image-events.js';
import { personalData } from '../src/domain/personal-data.js';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.js';
import type { EventStore, NewEvent } from '../src/eventstore/types.js';
import { startPrivacy, type Privacy } from '../src/privacy/start-privacy.js';
import { projections } from '../src/projections/index.js';
import { ReplayProgress } from '../src/projections/progress.js';
import { rebuildAndSwap, rebuildable } from '../src/projections/rebuild.js';
import { printTable, writeResults } from './results-file.js';
import { benchDatabaseName } from './support.js';

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const meta = (actor: string) => ({ correlationId: randomUUID(), causationId: randomUUID(), actor: { id: actor, role: 'user' }, schemaVersion: 1 });
const f32 = new Float32Array(1);
const float32 = (v: number) => ((f32[0] = v), f32[0]);
const model = { name: 'ssd_mobilenetv1', version: '1.7.15', sha256: 'c0ffee'.repeat(10) + 'abcd' };

/** A pool of realistic faces (float32 descriptors print with ~17 digits, as the worker stores them). */
const facePool: FaceRecord[] = Array.from({ length: 64 }, () => {
  const x = Math.random() * 1600;
  const y = Math.random() * 1000;
  const size = 80 + Math.random() * 200;
  return {
    box: { x, y, width: size, height: size * 1.2 },
    score: 0.5 + Math.random() * 0.5,
    landmarks: Array.from({ length: 68 }, () => [x + Math.random() * size, y + Math.random() * size * 1.2] as [number, number]),
    descriptor: Array.from({ length: 128 }, () => float32(Math.random() * 0.5 - 0.25)),
  };
});
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** One user's history: appends (stream, events), about 29 events. */
function userHistory(): { stream: string; events: NewEvent[] }[] {
  const userId = randomUUID();
  const email = `${userId.slice(0, 8)}@example.com`;
  const out: { stream: string; events: NewEvent[] }[] = [];
  out.push({ stream: `email-${createHash('sha256').update(email).digest('hex')}`, events: [{ type: 'EmailClaimed', data: { userId }, metadata: meta(userId) }] });
  const user: NewEvent[] = [{ type: 'UserRegistered', data: { userId, email, displayName: `User ${userId.slice(0, 4)}`, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$' + 'x'.repeat(60), role: 'user' }, metadata: meta(userId) }];
  if (Math.random() < 0.1) user.push({ type: 'UserRoleChanged', data: { role: 'auditor', previousRole: 'user' }, metadata: meta(userId) });
  if (Math.random() < 0.05) user.push({ type: 'UserPasswordChanged', data: { passwordHash: '$argon2id$' + 'y'.repeat(80) }, metadata: meta(userId) });
  out.push({ stream: `user-${userId}`, events: user });
  for (let s = 0; s < 3; s++) {
    const expiresAt = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
    let token = randomUUID();
    const events: NewEvent[] = [{ type: 'SessionStarted', data: { userId, tokenId: token, expiresAt: expiresAt() }, metadata: meta(userId) }];
    for (let r = 0; r < 2; r++) {
      const next = randomUUID();
      events.push({ type: 'RefreshTokenRotated', data: { fromTokenId: token, toTokenId: next, expiresAt: expiresAt() }, metadata: meta(userId) });
      token = next;
    }
    if (Math.random() < 0.5) events.push({ type: 'SessionRevoked', data: { reason: 'logout' }, metadata: meta(userId) });
    out.push({ stream: `session-${randomUUID()}`, events });
  }
  for (let i = 0; i < 8; i++) {
    const imageId = randomUUID();
    const uploadId = randomUUID();
    const events: NewEvent[] = [
      {
        id: uploadId,
        type: 'ImageUploaded',
        data: { imageId, ownerId: userId, filename: `IMG_${i}.jpg`, contentType: 'image/jpeg', bytes: 2_000_000 + i, width: 4032, height: 3024, sha256: createHash('sha256').update(imageId).digest('hex') },
        metadata: meta(userId),
      },
    ];
    const roll = Math.random();
    const analyzed = (requestId: string): NewEvent => {
      const faces = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => pick(facePool));
      return { type: 'ImageAnalyzed', data: { requestId, model, faces, faceCount: faces.length, durationMs: 80 + Math.random() * 60 }, metadata: meta('worker') };
    };
    if (roll < 0.9) events.push(analyzed(uploadId));
    else if (roll < 0.95) {
      events.push({ type: 'ImageAnalysisFailed', data: { requestId: uploadId, model, error: { code: 'inference_failed', message: 'onnxruntime: out of memory' }, attempts: 3 }, metadata: meta('worker') });
      const again = randomUUID();
      events.push({ id: again, type: 'ImageAnalysisRequested', data: { model, reason: 'user_request' }, metadata: meta(userId) });
      events.push(analyzed(again));
    }
    if (Math.random() < 0.1) events.push({ type: 'ImageDeleted', data: { reason: 'user' }, metadata: meta(userId) });
    out.push({ stream: `image-${imageId}`, events });
  }
  return out;
}

async function openDatabase(name: string, keep: boolean) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  if (!(keep && exists)) {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  }
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), { max: 24, applicationName: 'bench-replay' });
  await migrate(pool);
  return {
    url: url.toString(),
    pool,
    async close() {
      await pool.end();
      if (keep) return;
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      await c.end();
    },
  };
}

/** The keys the command side creates before it appends a history's streams (register-user.ts, image-service.ts). */
async function ensureKeys(privacy: Privacy | undefined, history: { stream: string; events: NewEvent[] }[]): Promise<void> {
  if (!privacy) return;
  for (const { events } of history) {
    for (const e of events) {
      const d = e.data as { userId?: string; imageId?: string; ownerId?: string };
      if (e.type === 'UserRegistered') await privacy.keys.ensureKey({ purpose: 'profile', subjectId: d.userId! });
      if (e.type === 'ImageUploaded') {
        await privacy.keys.ensureKey({ purpose: 'content', subjectId: d.ownerId!, imageId: d.imageId! });
        await privacy.keys.ensureKey({ purpose: 'face_analysis', subjectId: d.ownerId!, imageId: d.imageId! });
      }
    }
  }
}

async function generate(store: EventStore, privacy: Privacy | undefined, pool: pg.Pool, target: number): Promise<{ events: number; seconds: number }> {
  const count = async () => Number((await pool.query<{ n: string }>('select count(*)::text as n from es.events')).rows[0]!.n);
  let have = await count();
  if (have >= target) return { events: have, seconds: 0 };
  const t0 = performance.now();
  let lastReport = t0;
  // Many appends in flight: the store's batcher packs up to 256 of them into one transaction.
  const inFlight = new Set<Promise<unknown>>();
  while (have < target) {
    const history = userHistory();
    const keyed = ensureKeys(privacy, history);
    for (const { stream, events } of history) {
      const p = keyed.then(() => store.append(stream, events, { expectedRevision: 'no_stream' })).finally(() => inFlight.delete(p));
      inFlight.add(p);
      have += events.length;
      if (inFlight.size >= 512) await Promise.race(inFlight);
    }
    if (performance.now() - lastReport > 5_000) {
      lastReport = performance.now();
      console.error(`generating: ${have} events, ${Math.round(have / ((lastReport - t0) / 1000))} events/s`);
    }
  }
  await Promise.all(inFlight);
  return { events: await count(), seconds: (performance.now() - t0) / 1000 };
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const keep = flags.includes('--keep');
  const sealed = !flags.includes('--unsealed');
  const target = quick ? 100_000 : 1_000_000;
  const name = benchDatabaseName(`replay${quick ? '_quick' : ''}${sealed ? '' : '_unsealed'}`);
  const db = await openDatabase(name, keep);
  const bare = new PostgresEventStore(db.pool, { url: db.url, pageSize: 1_000 });
  // The runtime's settings (key cache size and TTL); the KEK kept beside the database, for --keep.
  const settings = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, PRIVACY_DEV_KEK_FILE: path.join(os.tmpdir(), `${name}-kek.json`) }).privacy;
  const privacy = sealed ? await startPrivacy({ pool: db.pool, databaseUrl: db.url, settings, allowDevKek: true, declarations: personalData }) : undefined;
  const store = privacy ? privacy.seal(bare) : bare;
  console.error(sealed ? `sealed store (src/privacy; key cache ${settings.keyCacheEntries} entries)` : 'unsealed store (--unsealed)');
  try {
    const gen = await generate(store, privacy, db.pool, target);
    if (gen.seconds > 0) console.error(`generated ${gen.events} events in ${gen.seconds.toFixed(1)} s`);
    await everyEventVisible(db.pool);
    await db.pool.query('vacuum analyze es.events');
    await db.pool.query('delete from rm.checkpoints');

    const selected = projections.filter(rebuildable);
    const head = await store.headPosition();
    const progress = new ReplayProgress(selected.map((p) => p.name), head);
    const t0 = performance.now();
    const results = await Promise.all(
      selected.map(async (p) => {
        const r = await rebuildAndSwap({ pool: db.pool, store, onProgress: progress.update.bind(progress) }, p);
        progress.done(p.name);
        return r;
      }),
    );
    progress.stop();
    const seconds = (performance.now() - t0) / 1000;
    const { rows: sizes } = await db.pool.query<{ images: string; faces: string; users: string; sessions: string }>(
      `select (select count(*) from rm.images)::text as images, (select coalesce(sum(face_count), 0) from rm.images where deleted_at is null)::text as faces,
              (select count(*) from rm.users)::text as users, (select count(*) from rm.sessions)::text as sessions`,
    );
    const applied = results.reduce((s, r) => s + r.applied, 0);
    const label = sealed ? 'sealed' : 'unsealed';
    const rows: Record<string, string | number>[] = results.map((r) => ({ case: `rebuild ${r.projection} (${label})`, events: r.applied, seconds: r.seconds, 'events/s': r.applied / r.seconds }));
    rows.push({ case: `rebuild all (${gen.events} events in the log, ${label})`, events: applied, seconds, 'events/s': gen.events / seconds });
    printTable(rows);
    const s = sizes[0]!;
    console.log(`\nread models: ${s.users} users, ${s.sessions} sessions, ${s.images} images, ${s.faces} faces; events/s of "all" = events in the log / wall time`);
    const storage = await storagePerImage(db.pool);
    console.log(
      `storage (${label}), per analysed image (${storage.analysed}): ImageAnalyzed data ${storage.analyzedData.toFixed(0)} B stored (${storage.analyzedRaw.toFixed(0)} B uncompressed), ` +
        `rm.faces ${storage.facesRow.toFixed(0)} B per row (${storage.facesByReference} of ${storage.facesRows} rows by reference); ` +
        `es.events ${storage.eventsTotal.toFixed(0)} B + rm.faces ${storage.facesTotal.toFixed(0)} B per analysed image (tables with TOAST and indexes)`,
    );
    const file = await writeResults(sealed ? 'replay' : 'replay-unsealed', { rows, storage });
    console.log(`written ${file}`);
  } finally {
    await store.close();
    await privacy?.close();
    await db.close();
  }
}

/**
 * Readers see the log up to the oldest transaction still open in the cluster (DESIGN.md §3): a
 * transaction left open elsewhere (another database's test) would hide the whole generated log
 * from the replay, which then measures nothing. Waits (bounded) until it has ended.
 */
async function everyEventVisible(pool: pg.Pool): Promise<void> {
  const started = performance.now();
  for (;;) {
    const { rows } = await pool.query<{ visible: boolean }>('select coalesce((select max(transaction_id) from es.events) < pg_snapshot_xmin(pg_current_snapshot()), true) as visible');
    if (rows[0]?.visible) return;
    if (performance.now() - started > 120_000) throw new Error('the generated log is still not visible after 120 s: a transaction older than it is open in the cluster (pg_stat_activity.backend_xmin)');
    if (performance.now() - started > 1_000) console.error('waiting for an older transaction in the cluster to end (the log is not visible to readers yet)');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * What an analysed image costs on disk: the ImageAnalyzed event's data as stored (pg_column_size:
 * after TOAST's lz4/pglz compression — a sealed array is ciphertext and does not compress) and as
 * text, rm.faces' row, and both whole tables (heap + TOAST + indexes) per analysed image.
 */
async function storagePerImage(pool: pg.Pool) {
  await pool.query('vacuum analyze rm.faces');
  const { rows } = await pool.query<{ analysed: string; analyzed_data: string; analyzed_raw: string; faces_rows: string; faces_ref: string; faces_row: string; events_total: string; faces_total: string }>(
    `select (select count(*) from es.events where type = 'ImageAnalyzed')::text as analysed,
            (select avg(pg_column_size(data)) from es.events where type = 'ImageAnalyzed')::text as analyzed_data,
            (select avg(octet_length(data::text)) from es.events where type = 'ImageAnalyzed')::text as analyzed_raw,
            (select count(*) from rm.faces)::text as faces_rows,
            (select count(*) from rm.faces where faces is null)::text as faces_ref,
            (select coalesce(avg(pg_column_size(f.*)), 0) from rm.faces f)::text as faces_row,
            pg_total_relation_size('es.events')::text as events_total,
            pg_total_relation_size('rm.faces')::text as faces_total`,
  );
  const r = rows[0]!;
  const analysed = Number(r.analysed);
  return {
    analysed,
    analyzedData: Number(r.analyzed_data),
    analyzedRaw: Number(r.analyzed_raw),
    facesRows: Number(r.faces_rows),
    facesByReference: Number(r.faces_ref),
    facesRow: Number(r.faces_row),
    eventsTotal: Number(r.events_total) / analysed,
    facesTotal: Number(r.faces_total) / analysed,
  };
}
