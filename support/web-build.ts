// Builds the web console (web/ → dist/web) with Vite, and says whether a build is stale: the
// build records a hash of its sources (every file under web/, and package-lock.json for the
// versions it bundled) and is rebuilt only when that changes. Used by `npm run build:web`
// (prestart, pretest) and by the test setup. Assets are written pre-compressed (brotli, gzip)
// beside the originals; the API sends those.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { CONSOLE_BUILD_DIR, CONSOLE_SOURCE_DIR, PROJECT_ROOT } from '../src/http/routes/console/console-build.js';

const STAMP = '.source-hash';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out.sort();
}

/** The hash of everything the build reads. */
export async function sourceHash(): Promise<string> {
  const h = createHash('sha256');
  for (const file of [...(await filesUnder(CONSOLE_SOURCE_DIR)), path.join(PROJECT_ROOT, 'package-lock.json')]) {
    h.update(path.relative(PROJECT_ROOT, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return h.digest('hex');
}

export async function isStale(): Promise<boolean> {
  const stamp = await readFile(path.join(CONSOLE_BUILD_DIR, STAMP), 'utf8').catch(() => undefined);
  return stamp?.trim() !== (await sourceHash()) || !existsSync(path.join(CONSOLE_BUILD_DIR, 'index.html'));
}

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export interface WebBuildResult {
  built: boolean;
  /** Each asset with its raw, gzip and brotli size (bytes). */
  assets: { file: string; bytes: number; gzip: number; brotli: number }[];
}

/** Builds when stale (or always with force). Concurrent callers (parallel test files) share one build by a rename into place. */
export async function buildWeb(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<WebBuildResult> {
  const log = opts.log ?? (() => undefined);
  if (!opts.force && !(await isStale())) return { built: false, assets: await assetSizes() };
  const hash = await sourceHash();
  const { build } = await import('vite');
  const staging = `${CONSOLE_BUILD_DIR}.tmp-${process.pid}`;
  await build({ configFile: path.join(CONSOLE_SOURCE_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  for (const file of await filesUnder(path.join(staging, 'assets'))) {
    if (!/\.(js|css|svg|json)$/.test(file)) continue;
    const data = await readFile(file);
    await writeFile(`${file}.br`, await brotli(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    await writeFile(`${file}.gz`, await gz(data, { level: 9 }));
  }
  await writeFile(path.join(staging, STAMP), `${hash}\n`);
  const old = `${CONSOLE_BUILD_DIR}.old-${process.pid}`;
  if (existsSync(CONSOLE_BUILD_DIR)) await rename(CONSOLE_BUILD_DIR, old).catch(() => undefined);
  await rename(staging, CONSOLE_BUILD_DIR).catch(async (err: unknown) => {
    // Another process put its build in place first: the same sources, so keep theirs.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(CONSOLE_BUILD_DIR)) throw err;
  });
  await rm(old, { recursive: true, force: true });
  const assets = await assetSizes();
  log(`console built into ${path.relative(PROJECT_ROOT, CONSOLE_BUILD_DIR)}: ${assets.map((a) => `${a.file} ${(a.gzip / 1024).toFixed(1)} kB gz`).join(', ')}`);
  return { built: true, assets };
}

export async function assetSizes(): Promise<WebBuildResult['assets']> {
  const dir = path.join(CONSOLE_BUILD_DIR, 'assets');
  if (!existsSync(dir)) return [];
  const out: WebBuildResult['assets'] = [];
  for (const file of await filesUnder(dir)) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    const size = async (f: string) => (await readFile(f).catch(() => Buffer.alloc(0))).length;
    out.push({ file: path.relative(CONSOLE_BUILD_DIR, file), bytes: await size(file), gzip: await size(`${file}.gz`), brotli: await size(`${file}.br`) });
  }
  return out;
}
