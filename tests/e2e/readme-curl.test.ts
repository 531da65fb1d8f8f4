// The README's "Try it with curl" block, run as written (issue 19 item 6) against a server started
// as the README says (`npm start`), and the web console against that same server (issue 18: the
// whole app works against it). Only the address changes (the test's port instead of 3000) and the
// database, Redis prefix and development key files are the test's own, given to the server and to
// the block alike (the README says the CLI needs the server's DATABASE_URL/REDIS_URL).
// Every curl the block runs is recorded (status, method, URL): all must be 2xx except the one the
// README says is refused (the access token of a logged-out session).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startServer, type ServerProcess } from '../../support/process.js';
import { deleteRedisKeys, TEST_REDIS_URL } from '../../support/redis-test-prefix.js';
import { SAMPLES } from '../../support/sample-photos.js';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { openConsole, signInToConsole } from '../support/console.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The first ```sh block of the README's "Try it with curl" section. */
export function curlBlock(readme: string): string {
  const section = readme.slice(readme.indexOf('## Try it with curl'));
  const m = /```sh\n([\s\S]*?)\n```/.exec(section);
  if (!m?.[1]) throw new Error('README: no ```sh block under "## Try it with curl"');
  return m[1];
}

// curl, recording each response's status on the side (stderr → the log), its output untouched.
const WRAPPER = `set -eu
curl() {
  command curl -w '%{stderr}@@status %{http_code} %{method} %{url_effective}\\n' "$@" 2>>"$CURL_LOG" || {
    rc=$?
    case " $* " in *" --max-time "*) [ "$rc" = 28 ] && return 0 ;; esac
    echo "@@exit $rc curl $*" >>"$CURL_LOG"
    return 0
  }
}
`;

let db: TestDatabase;
let server: ServerProcess | undefined;
let base = '';
let dir = '';
const prefix = `ft-test-readme-${randomBytes(4).toString('hex')}:`;
let env: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase('readme_curl', { migrate: false });
  dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-readme-'));
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_DEV_KEY_FILE: path.join(dir, 'jwt-dev.json'),
    PRIVACY_DEV_KEK_FILE: path.join(dir, 'kek-dev.json'),
  };
  // `npm start` exactly (prestart included), on a free port, NODE_ENV unset as in a user's shell.
  server = await startServer(env, 90_000, { command: 'npm', args: ['start'], nodeEnv: null });
  base = server.baseUrl;
}, 120_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await deleteRedisKeys(prefix);
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
  for (const f of ['annotated.png', 'thumb.webp', 'log.ndjson']) await rm(path.join(ROOT, f), { force: true });
});

describe('README: Try it with curl', () => {
  it('runs as written against npm start: every promised success is a 2xx', { timeout: 180_000 }, async () => {
    const block = curlBlock(await readFile(path.join(ROOT, 'README.md'), 'utf8')).replaceAll('localhost:3000', base.replace('http://', ''));
    const script = path.join(dir, 'readme.sh');
    const log = path.join(dir, 'curl.log');
    await writeFile(script, `${WRAPPER}\n${block}\n`);
    await writeFile(log, '');
    const run = spawn('bash', [script], { cwd: ROOT, env: { ...process.env, ...env, CURL_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.on('data', (d: Buffer) => (out += d.toString()));
    run.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.on('exit', resolve));
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('@@'));
    const context = `\n--- script output ---\n${out.slice(-4000)}\n--- curl log ---\n${lines.join('\n')}`;
    expect(code, `the block exited ${code}${context}`).toBe(0);
    expect(lines.filter((l) => l.startsWith('@@exit')), `curl failures${context}`).toEqual([]);
    const statuses = lines.map((l) => {
      const [, status = '', method = '', url = ''] = l.split(' ');
      return { status: Number(status), method, path: new URL(url).pathname };
    });
    const refused = statuses.filter((s) => s.status < 200 || s.status >= 300);
    // The README's one promised refusal: /v1/me with the access token of the logged-out session.
    expect(refused, `non-2xx answers${context}`).toEqual([{ status: 401, method: 'GET', path: '/v1/me' }]);
    expect(statuses.length).toBeGreaterThan(25);
    // What the block promises along the way.
    expect(out).toContain('"status":"analyzed"');
    expect(out).toMatch(/"role":"auditor"/);
  });

  it.skipIf(!browserAvailable('readme-curl (console)'))('the console works against the same server: Ada signs in, uploads a photo, sees its faces', { timeout: 120_000 }, async () => {
    const browser = await launchBrowser();
    try {
      const c = await openConsole(browser, base);
      await signInToConsole(c, 'ada@example.com', 'correct horse battery');
      await c.page.getByRole('navigation').getByRole('link', { name: 'Upload' }).click();
      await c.screen('Upload');
      await c.page.getByLabel('Choose photos').setInputFiles(SAMPLES[0]!);
      await c.page.getByRole('navigation').getByRole('link', { name: 'Gallery' }).click();
      await c.screen('Gallery');
      await c.page.getByText('analyzed · 3 faces').first().waitFor({ timeout: 60_000 });
      c.assertClean();
    } finally {
      await browser.close();
    }
  });
});
