// The `facetrail` command line as a newcomer meets it (issue 19 items 7-9): `help` lists every
// command with its summary, `<command> --help` prints the usage and runs nothing, an unknown option
// is refused by every command (exit 64), a missing file is one line, `projections:status --json`
// names the application process holding each runner lock, output into a closed pipe is no crash,
// and `projections:prune` drops what `projections:rebuild --to` left behind.

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.js';
import { SAMPLES } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COMMANDS = ['analyze', 'audit:verify', 'migrate', 'privacy:rewrap', 'projections:prune', 'projections:rebuild', 'projections:status', 'projections:verify', 'users:create'];
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp('cli_help');
});
afterAll(async () => {
  await t.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string>; closeStdout?: boolean } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // A reader that goes away at once (`| head -0`): every write of the command meets a closed pipe.
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A database URL on the test server for a database that does not exist (yet). */
function absentDatabaseUrl(): string {
  const u = new URL(t.db.url);
  u.pathname = `/${t.db.name}_never`;
  return u.toString();
}

async function databaseExists(url: string): Promise<boolean> {
  const name = new URL(url).pathname.slice(1);
  const { rows } = await t.db.pool.query<{ n: string }>('select count(*)::text as n from pg_database where datname = $1', [name]);
  return rows[0]!.n === '1';
}

describe('facetrail help', () => {
  it('`help` and `--help` list every command with its summary, on stdout, exit 0', async () => {
    for (const args of [['help'], ['--help']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\s{2,}\\S.{20,}$`, 'm'));
    }
  });

  it('`<command> --help` and `help <command>` print its usage and run nothing', async () => {
    const url = absentDatabaseUrl();
    const migrate = await cli(['migrate', '--help'], { env: { DATABASE_URL: url } });
    expect(migrate).toMatchObject({ code: 0, stderr: '' });
    expect(migrate.stdout).toMatch(/^usage: facetrail migrate\n/);
    expect(await databaseExists(url)).toBe(false); // `migrate` creates the database: it did not run
    for (const name of COMMANDS) {
      const r = await cli([name, '--help'], { env: { DATABASE_URL: url } });
      expect(r.code, `${name} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: facetrail ${name}`));
      if (name === 'users:create') expect((await cli(['help', name])).stdout).toBe(r.stdout);
    }
    expect(await databaseExists(url)).toBe(false);
  });

  it('every command refuses an unknown option with exit 64 and its usage, before doing anything', async () => {
    const url = absentDatabaseUrl();
    for (const name of COMMANDS) {
      const r = await cli([name, '--bogus'], { env: { DATABASE_URL: url } });
      expect(r.code, `${name}: ${r.stderr}`).toBe(64);
      expect(r.stderr).toMatch(new RegExp(`^facetrail ${name}: unknown option '--bogus'\\n\\nusage: facetrail ${name}`));
      expect(r.stdout).toBe('');
    }
    expect((await cli(['projections:status', 'extra'])).stderr).toMatch(/^facetrail projections:status: unexpected argument 'extra'/);
    expect((await cli(['nope'])).code).toBe(64);
    expect(await databaseExists(url)).toBe(false);
  });
});

describe('facetrail errors', () => {
  it('a missing input file is one line (exit 66), --annotate into a missing folder fails before analysing', async () => {
    const missing = await cli(['analyze', 'no-such-photo.jpg']);
    expect(missing).toMatchObject({ code: 66, stdout: '', stderr: 'facetrail analyze: cannot open no-such-photo.jpg: no such file or directory\n' });
    expect(await cli(['analyze', 'tests'])).toMatchObject({ code: 66, stderr: 'facetrail analyze: cannot read tests: is a directory\n' });
    const kek = await cli(['privacy:rewrap'], { env: { PRIVACY_KEK_FILE: 'no-such-kek.json' } });
    expect(kek).toMatchObject({ code: 1, stderr: 'facetrail privacy:rewrap: PRIVACY_KEK_FILE: cannot read no-such-kek.json: no such file or directory\n' });
    const folder = await cli(['analyze', SAMPLES[0]!, '--annotate', 'no-such-folder/out.png']);
    expect(folder).toMatchObject({ code: 73, stdout: '', stderr: 'facetrail analyze: cannot write --annotate no-such-folder/out.png: the folder no-such-folder does not exist\n' });
    const offline = await cli(['audit:verify', '--export', 'no-such-log.ndjson', '--checkpoint', 'no-such-cp.json', '--jwks', 'no-such-jwks.json']);
    expect(offline).toMatchObject({ code: 64, stderr: 'audit:verify: --jwks cannot open no-such-jwks.json: no such file or directory\n' });
  });
});

describe('projections:status', () => {
  it('--json names the application process (host, pid) holding each runner lock, not only the backend', async () => {
    const created = await cli(['users:create', '--email', 'status@example.com'], { stdin: 'a long enough password\n' });
    expect(created.code, created.stderr).toBe(0);
    const [commit] = /position (\d+)-\d+/.exec(created.stderr)!.slice(1);
    // The users projection has applied the new user and stored its checkpoint.
    await eventually(async () => (await t.db.pool.query(`select 1 from rm.checkpoints where consumer = 'users' and commit_pos >= $1`, [commit])).rowCount === 1, 'the users checkpoint passes the new user', 10_000);
    const r = await cli(['projections:status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { consumer: string; checkpoint: string; lockHolder: { application: string; host: string; pid: number; backendPid: number } | null }[];
    const users = rows.find((s) => s.consumer === 'users');
    expect(users?.checkpoint).toMatch(/^\d+-\d+$/);
    // The projectors run in this test process (startTestApp is in-process).
    expect(users?.lockHolder).toMatchObject({ application: `facetrail-projector-users@${os.hostname().split('.')[0]}:${process.pid}`, host: os.hostname().split('.')[0], pid: process.pid });
    expect(users?.lockHolder?.backendPid).not.toBe(process.pid);
    const table = await cli(['projections:status']);
    expect(table.stdout).toMatch(new RegExp(`^users\\s.*facetrail-projector-users on \\S+ pid ${process.pid} \\(backend \\d+`, 'm'));
  });

  it('output into a pipe closed by its reader (`| head`) ends quietly, no EPIPE crash', async () => {
    const r = await cli(['projections:status'], { closeStdout: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('projections:prune', () => {
  it('lists and drops the rm_at_<cursor> schemas projections:rebuild --to left behind', async () => {
    const created = await cli(['users:create', '--email', 'prune@example.com'], { stdin: 'a long enough password\n' });
    expect(created.code, created.stderr).toBe(0);
    const cursor = /position (\d+-\d+)/.exec(created.stderr)![1]!;
    const schema = `rm_at_${cursor.replace('-', '_')}`;
    const rebuilt = await cli(['projections:rebuild', 'users', '--to', cursor]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout.trim()).toBe(schema);
    const listed = await cli(['projections:prune']);
    expect(listed.stdout).toMatch(new RegExp(`^${schema}  \\d+ tables  \\d+\\.\\d MB$`, 'm'));
    const dropped = await cli(['projections:prune', cursor]);
    expect(dropped).toMatchObject({ code: 0, stdout: `dropped ${schema}\n` });
    const { rows } = await t.db.pool.query('select 1 from pg_namespace where nspname = $1', [schema]);
    expect(rows).toEqual([]);
    expect(await cli(['projections:prune', schema])).toMatchObject({ code: 1, stderr: `projections:prune: no schema ${schema}\n` });
    expect((await cli(['projections:prune', 'rm'])).code).toBe(64);
  });
});
