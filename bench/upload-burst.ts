// `npm run bench -- upload-burst` (also the last part of `pipeline`): the API role alone in a child
// process (`src/main.ts api`, so its resident memory is the API's and nothing else's), then a burst
// of 16 concurrent uploads of 8000×5000 PNGs (40 megapixels, one flat colour each, all different).
// Reported: the child's RSS before the burst, the highest RSS sampled every 5 ms during it, its
// VmHWM (kernel peak since start), the time until the last 202, and the answers' statuses.
// Target: peak RSS during the burst under 400 MB.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startServer } from '../support/process.js';
import { printTable, writeResults } from './results-file.js';
import { benchDatabase } from './support.js';

const UPLOADS = 16;
const WIDTH = 8000;
const HEIGHT = 5000;
export const BURST_RSS_TARGET_MB = 400;

export interface BurstResult {
  uploads: number;
  bytesSent: number;
  rssBeforeMb: number;
  peakRssDuringMb: number;
  vmHwmMb: number;
  seconds: number;
  statuses: Record<string, number>;
}

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export async function uploadBurst(): Promise<BurstResult> {
  const db = await benchDatabase('facetrail_bench_upload_burst');
  const suffix = randomBytes(4).toString('hex');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-burst-'));
  const server = await startServer({
    FACETRAIL_ROLE: 'api',
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: `ft-bench-burst-${suffix}:`,
    JWT_DEV_KEY_FILE: path.join(dir, 'jwt-dev.json'),
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    UPLOAD_RATE_LIMIT_PER_MINUTE: '100000',
    LOG_LEVEL: 'info',
  });
  try {
    const pid = server.child.pid!;
    const base = server.baseUrl;
    const json = { 'content-type': 'application/json' };
    const email = `burst-${suffix}@example.com`;
    const password = `bench-${randomBytes(8).toString('hex')}`;
    const reg = await fetch(`${base}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password, displayName: 'Burst' }) });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    // Different bytes each (bytes already stored are not decoded again; these must be).
    const pngs = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) => sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: { r: 100 + i, g: 143, b: 159 } } }).png().toBuffer()),
    );
    const send = async (png: Buffer, name: string) => {
      const form = new FormData();
      form.append('file', new Blob([png], { type: 'image/png' }), name);
      const res = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` }, body: form });
      await res.arrayBuffer();
      return res.status;
    };
    // One small warm-up upload (code paths, connections), not measured.
    const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
    {
      const form = new FormData();
      form.append('file', new Blob([small], { type: 'image/png' }), 'warm.png');
      const res = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` }, body: form });
      if (res.status !== 202) throw new Error(`warm-up upload: ${res.status} ${await res.text()}`);
    }
    const before = memoryOf(pid);
    let peak = before.rssMb;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryOf(pid).rssMb);
    }, 5);
    const started = performance.now();
    const statuses = await Promise.all(pngs.map((png, i) => send(png, `burst-${i}.png`)));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = memoryOf(pid);
    peak = Math.max(peak, after.rssMb);
    const counted: Record<string, number> = {};
    for (const s of statuses) counted[s] = (counted[s] ?? 0) + 1;
    return { uploads: UPLOADS, bytesSent: pngs.reduce((n, p) => n + p.length, 0), rssBeforeMb: before.rssMb, peakRssDuringMb: peak, vmHwmMb: after.hwmMb, seconds, statuses: counted };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function burstRows(r: BurstResult): Record<string, string | number>[] {
  return [
    { metric: `uploads (${WIDTH}×${HEIGHT} PNG, concurrent)`, value: r.uploads, target: '' },
    { metric: 'bytes sent (MB)', value: r.bytesSent / 1e6, target: '' },
    { metric: 'API RSS before the burst (MB)', value: r.rssBeforeMb, target: '' },
    { metric: 'API peak RSS during the burst (MB)', value: r.peakRssDuringMb, target: `< ${BURST_RSS_TARGET_MB}` },
    { metric: 'API VmHWM after (MB)', value: r.vmHwmMb, target: '' },
    { metric: 'burst until the last answer (s)', value: r.seconds, target: '' },
    { metric: 'answers', value: Object.entries(r.statuses).map(([s, n]) => `${n}× ${s}`).join(', '), target: `${UPLOADS}× 202` },
  ];
}

export async function run(): Promise<void> {
  const r = await uploadBurst();
  printTable(burstRows(r));
  if (!(r.peakRssDuringMb < BURST_RSS_TARGET_MB)) console.warn(`note: API peak RSS ${r.peakRssDuringMb.toFixed(0)} MB is not below ${BURST_RSS_TARGET_MB} MB`);
  const file = await writeResults('upload-burst', [{ ...r, targets: { peakRssDuringMb: BURST_RSS_TARGET_MB } }]);
  console.log(`\nwritten ${file}`);
}
