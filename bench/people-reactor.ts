// The people reactor end to end (part of `npm run bench -- search`): `faces` newly analysed faces
// (four per photo, drawn like the gallery bench's around `identities` people) of one owner with
// face_recognition consent, in a fresh database; the face index and the people read model caught
// up first; then the reactor (AutoPeople under its ProjectorRunner, as the worker role runs it)
// from an empty checkpoint until it has handled every analysis. What it measures: the whole
// assignment — reading each image stream and the consent, the lookups, the scan, and the appends
// of every person created or joined — the "assigning 10 000 newly analysed faces".

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { AutoPeople } from '../src/commands/people/auto-people.js';
import type { Position } from '../src/eventstore/types.js';
import { CURRENT_POLICY_VERSION } from '../src/privacy/policy/index.js';
import { autoPeopleRequests } from '../src/projections/people/auto-people-requests.js';
import { reactorConsumer } from '../src/projections/reactor.js';
import { ProjectorRunner } from '../src/projections/runner.js';
import { startProjectors } from '../src/projections/start-projectors.js';
import { startRuntime } from '../src/runtime.js';
import { benchConfig, benchDatabase, benchDatabaseName } from './support.js';

export interface ReactorRun {
  faces: number;
  photos: number;
  seconds: number;
  people: number;
  assigned: number;
}

export async function measurePeopleReactor(opts: { faces: number; identities: number; draw: (identity: number) => Float32Array }): Promise<ReactorRun> {
  const db = await benchDatabase(benchDatabaseName('people_reactor'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-people-'));
  const prefix = `ft-bench-people-${randomBytes(4).toString('hex')}:`;
  const config = benchConfig(db.url, prefix, path.join(dir, 'jwt-dev.json'));
  const runtime = await startRuntime(config, pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }));
  const projectors = startProjectors(runtime);
  let reactor: ProjectorRunner | undefined;
  try {
    const store = runtime.eventStore;
    const ownerId = randomUUID();
    const ctx = { metadata: { correlationId: randomUUID(), actor: { id: 'bench', kind: 'system' as const }, schemaVersion: 1 } };
    await store.dataKeys!.ensureKey({ purpose: 'profile', subjectId: ownerId });
    await store.append(`user-${ownerId}`, [
      { type: 'UserRegistered', data: { userId: ownerId, email: `${ownerId}@example.com`, displayName: 'Bench', passwordHash: 'x', role: 'user' }, ...ctx },
      { type: 'ConsentGiven', data: { purpose: 'face_analysis', policyVersion: CURRENT_POLICY_VERSION, textSha256: '0'.repeat(64) }, ...ctx },
      { type: 'ConsentGiven', data: { purpose: 'face_recognition', policyVersion: CURRENT_POLICY_VERSION, textSha256: '0'.repeat(64) }, ...ctx },
    ]);
    const model = { name: 'bench', version: '1', sha256: 'f'.repeat(64) };
    const photos = Math.ceil(opts.faces / 4);
    let head: Position | undefined;
    for (let p = 0; p < photos; p++) {
      const imageId = randomUUID();
      const uploadId = randomUUID();
      for (const purpose of ['content', 'face_analysis'] as const) await store.dataKeys!.ensureKey({ purpose, subjectId: ownerId, imageId, consentWithdrawals: 0 });
      // Four different people per photo (never one person twice in a photo).
      const faces = [0, 1, 2, 3].map((slot) => ({
        box: { x: slot * 100, y: 0, width: 90, height: 90 },
        score: 0.9,
        landmarks: [] as [number, number][],
        descriptor: [...opts.draw((p * 4 + slot * 977) % opts.identities)],
      }));
      ({ position: head } = await store.append(`image-${imageId}`, [
        { id: uploadId, type: 'ImageUploaded', data: { imageId, ownerId, filename: `p${p}.jpg`, contentType: 'image/jpeg', bytes: 1000, width: 400, height: 100, sha256: randomBytes(32).toString('hex') }, ...ctx },
        { type: 'ImageAnalyzed', data: { requestId: uploadId, model, faces, faceCount: 4, durationMs: 1 }, ...ctx },
      ]));
    }
    if (!(await runtime.checkpoints.waitFor(['face-index', 'people'], head!, 600_000))) throw new Error('the projections did not catch up');

    const auto = new AutoPeople({ store, ...runtime.recognition, threshold: config.recognition.matchThreshold, minFaces: config.recognition.peopleMinFaces });
    const consumer = reactorConsumer(autoPeopleRequests, {
      store,
      sink: {
        enqueue: async (jobs) => {
          await auto.onAnalyses(jobs.map((j) => j.data.analysis));
        },
      },
    });
    const start = performance.now();
    reactor = new ProjectorRunner(config.databaseUrl, store, consumer, runtime.logger, { idleCheckpointMs: 50 }).start();
    if (!(await runtime.checkpoints.waitFor([autoPeopleRequests.name], head!, 900_000))) throw new Error('the people reactor did not finish');
    const seconds = (performance.now() - start) / 1000;
    // A marker after the reactor's last append: once the people read model passes it, it holds them all.
    const { position: marker } = await store.append(`bench-marker-${randomUUID()}`, [{ type: 'Marker', data: {}, ...ctx }]);
    if (!(await runtime.checkpoints.waitFor(['people'], marker, 120_000))) throw new Error('the people read model did not catch up');
    const counts = await runtime.pool.query<{ people: string; assigned: string }>(
      `select (select count(*) from rm.people where owner_id = $1 and status = 'active')::text as people, (select count(*) from rm.person_faces where owner_id = $1)::text as assigned`,
      [ownerId],
    );
    return { faces: photos * 4, photos, seconds, people: Number(counts.rows[0]!.people), assigned: Number(counts.rows[0]!.assigned) };
  } finally {
    await reactor?.stop();
    await Promise.all(projectors.map((r) => r.stop()));
    await runtime.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
