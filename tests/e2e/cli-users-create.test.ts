// `npm run cli -- users:create`: creates the first admin from a piped password; the admin can log in.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp('cli_users');
});
afterAll(async () => {
  await t.stop();
});

function cli(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('users:create', () => {
  it('creates an admin whose password came from stdin; it logs in with role admin', async () => {
    const res = await cli(['users:create', '--email', 'Boss@Example.com', '--role', 'admin', '--name', 'The Boss'], 'a strong admin password\n');
    expect(res.stderr).toMatch(/created admin/);
    expect(res.code).toBe(0);
    const userId = res.stdout.trim();
    expect(userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const tok = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'boss@example.com', password: 'a strong admin password' } });
    expect(tok.status).toBe(200);
    const claims = JSON.parse(Buffer.from(tok.body.accessToken.split('.')[1]!, 'base64url').toString()) as { role: string; sub: string };
    expect(claims).toMatchObject({ role: 'admin', sub: userId });
  });

  it('refuses a bad role, a weak password and a taken e-mail with a clear message', async () => {
    const badRole = await cli(['users:create', '--email', 'x@example.com', '--role', 'root'], 'whatever whatever\n');
    expect(badRole.code).toBe(64);
    expect(badRole.stderr).toMatch(/--role must be admin, auditor or user/);
    const weak = await cli(['users:create', '--email', 'y@example.com'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/weak_password/);
    const taken = await cli(['users:create', '--email', 'boss@example.com'], 'another strong password\n');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/email_taken/);
  });
});
