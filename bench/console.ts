// `npm run bench -- console [--quick]`: the web console in Debian's chromium (issue 18 targets).
//   first load      the JavaScript the console's first load fetches (the browser's resource timing:
//                   transferred = compressed bytes on the wire, decoded = after decompression), and
//                   the build's own figure (entry + modulepreloads, brotli and gzip) beside it
//   gallery         a user with 200 images (--quick: 50) opens the console at #/gallery with a
//                   session cookie: from navigation start to the gallery's first render of its
//                   items (the page's performance mark `gallery-ready`) and to the end of the last
//                   long task after it (interactive), median and max over 5 loads (--quick: 3)
// Targets: first load ≤ 200 kB compressed JavaScript; a 200-image gallery interactive ≤ 1 s.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { IdentityService } from '../src/commands/identity/identity-service.js';
import { CONSOLE_BUILD_DIR } from '../src/http/routes/console/console-build.js';
import { chromiumInstalled, CHROMIUM, launchBrowser } from '../support/chromium.js';
import { startInProcessApp } from '../support/in-process-app.js';
import { assetSizes, buildWeb } from '../support/web-build.js';
import { printTable, writeResults } from './results-file.js';
import { benchConfig, benchDatabase, benchDatabaseName } from './support.js';

const PASSWORD = 'a perfectly fine password';
type Row = Record<string, string | number>;

/** The build's first-load JavaScript: the entry script and its modulepreloads, compressed. */
async function buildFirstLoad(): Promise<{ brotli: number; gzip: number; files: number }> {
  const html = await readFile(path.join(CONSOLE_BUILD_DIR, 'index.html'), 'utf8');
  const urls = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const sizes = (await assetSizes()).filter((a) => urls.includes(a.file));
  return { brotli: sizes.reduce((s, a) => s + a.brotli, 0), gzip: sizes.reduce((s, a) => s + a.gzip, 0), files: sizes.length };
}

async function seedImages(base: string, token: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } }).jpeg().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), `bench-${i}.jpg`);
    const res = await fetch(`${base}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    if (res.status !== 202) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(flags: string[]): Promise<void> {
  if (!chromiumInstalled()) throw new Error(`the console bench needs chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const quick = flags.includes('--quick');
  const images = quick ? 50 : 200;
  const loads = quick ? 3 : 5;
  await buildWeb({ log: (line) => console.log(line) });
  const built = await buildFirstLoad();

  const db = await benchDatabase(benchDatabaseName('console'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-console-'));
  const prefix = `${process.env.BENCH_REDIS_PREFIX ?? 'ft-bench-console-'}${randomBytes(4).toString('hex')}:`;
  const config = benchConfig(db.url, prefix, path.join(dir, 'jwt-dev.json'), { UPLOAD_RATE_LIMIT_PER_MINUTE: '100000' });
  const system = await startInProcessApp(config, pino({ level: 'silent' }));
  const browser = await launchBrowser();
  try {
    const base = system.baseUrl;
    const identity = new IdentityService(system.runtime.eventStore, system.runtime.tokens);
    const email = `bench-${randomBytes(3).toString('hex')}@example.com`;
    await identity.register({ email, password: PASSWORD, displayName: 'Bench' }, { correlationId: 'bench', actor: { id: 'bench', kind: 'system' } });
    const login = await identity.login({ email, password: PASSWORD }, { correlationId: 'bench' });
    const policy = (await (await fetch(`${base}/v1/privacy/policy`)).json()) as { version: string };
    await fetch(`${base}/v1/me/consents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` }, body: JSON.stringify({ purpose: 'face_analysis', policyVersion: policy.version }) });
    await seedImages(base, login.accessToken, images);

    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    const rows: Row[] = [];
    const ready: number[] = [];
    const interactive: number[] = [];
    let firstLoad = { transferred: 0, decoded: 0, scripts: 0 };
    let cards = 0;
    for (let i = 0; i < loads; i++) {
      // A new document each time (a query string; a hash alone would be a same-document navigation).
      await page.goto(`${base}/?load=${i}#/gallery`, { waitUntil: 'load' });
      // The page's own timeline: the mark, the long tasks after it, the scripts it fetched.
      // A function, not a string: the console's CSP forbids eval, which a string predicate needs.
      await page.waitForFunction(() => performance.getEntriesByName('gallery-ready').length > 0, undefined, { timeout: 30_000 });
      const m = await page.evaluate<{ ready: number; interactive: number; transferred: number; decoded: number; scripts: number; cards: number }>(`new Promise((resolve) => {
        const ready = performance.getEntriesByName('gallery-ready')[0].startTime;
        const tasks = [];
        new PerformanceObserver((list) => tasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: true });
        setTimeout(() => {
          const after = tasks.filter((t) => t.startTime + t.duration > ready);
          const interactive = Math.max(ready, ...after.map((t) => t.startTime + t.duration));
          const scripts = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'));
          resolve({ ready, interactive, transferred: scripts.reduce((s, r) => s + r.encodedBodySize, 0), decoded: scripts.reduce((s, r) => s + r.decodedBodySize, 0), scripts: scripts.length, cards: document.querySelectorAll('[data-image-id]').length });
        }, 1000);
      })`);
      if (m.cards === 0) throw new Error('the gallery rendered no image card ([data-image-id])');
      ready.push(m.ready);
      interactive.push(m.interactive);
      if (i === 0) firstLoad = { transferred: m.transferred, decoded: m.decoded, scripts: m.scripts };
      cards = m.cards;
    }
    const kB = (b: number) => Math.round(b / 102.4) / 10;
    rows.push({ case: 'first load: JavaScript transferred (browser, brotli)', value: kB(firstLoad.transferred), unit: 'kB', note: `${firstLoad.scripts} script(s), ${kB(firstLoad.decoded)} kB decoded; target ≤ 200 kB` });
    rows.push({ case: 'first load: entry + modulepreloads (build)', value: kB(built.brotli), unit: 'kB', note: `brotli; gzip ${kB(built.gzip)} kB; ${built.files} file(s)` });
    rows.push({ case: `gallery of ${images}: first render (gallery-ready)`, value: Math.round(median(ready)), unit: 'ms', note: `median of ${loads}; max ${Math.round(Math.max(...ready))} ms; from navigation start, session restore included; ${cards} cards on the first page` });
    rows.push({ case: `gallery of ${images}: interactive (last long task ends)`, value: Math.round(median(interactive)), unit: 'ms', note: `median of ${loads}; max ${Math.round(Math.max(...interactive))} ms; target ≤ 1000 ms` });
    printTable(rows);
    console.log(`wrote ${await writeResults('console', rows)}`);
  } finally {
    await browser.close();
    await system.stop();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
