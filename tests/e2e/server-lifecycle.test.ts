// `npm start` as a user runs it: creates its database, answers /healthz and /readyz, names a
// failing dependency (Redis down: started degraded; PostgreSQL down: refused, naming it), refuses
// a bad config, and stops cleanly on SIGTERM.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_URL } from '../../support/database.js';
import { startProcess, startServer } from '../../support/process.js';

const dbName = `ft_lifecycle_${randomBytes(4).toString('hex')}`;
const dbUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

afterAll(async () => {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(`drop database if exists ${pg.escapeIdentifier(dbName)} with (force)`);
  await c.end();
});

describe('server lifecycle', () => {
  it('creates the database, is healthy and ready, and exits 0 on SIGTERM', async () => {
    const server = await startServer({ DATABASE_URL: dbUrl });
    try {
      const health = await fetch(`${server.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', eventStore: 'ok' } });

      const c = new pg.Client({ connectionString: dbUrl });
      await c.connect();
      const { rows } = await c.query<{ id: string }>('select id from public.facetrail_migrations order by id');
      await c.end();
      expect(rows.map((r) => r.id)).toContain('0001_event_store');

      const missing = await fetch(`${server.baseUrl}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found' });
    } finally {
      server.child.kill('SIGTERM');
    }
    const started = Date.now();
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });

  it('starts degraded with one warning when Redis does not answer; /readyz names it and its address', async () => {
    const server = await startServer({ DATABASE_URL: dbUrl, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const body = (await ready.json()) as { code: string; failing: string[]; checks: Record<string, string>; detail: string };
      expect(body.code).toBe('not_ready');
      expect(body.failing).toEqual(['redis']);
      expect(body.checks).toEqual({ postgres: 'ok', redis: 'unreachable at 127.0.0.1:1', eventStore: 'ok' });
      expect(body.detail).toBe('not answering: redis (unreachable at 127.0.0.1:1)');
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.map((l) => l.msg)).not.toContain('facetrail ready (role all)');
    const redisWarnings = lines.filter((l) => l.level >= 40 && /redis/i.test(l.msg));
    expect(redisWarnings.map((l) => l.msg)).toEqual([expect.stringMatching(/^facetrail started degraded \(role all\): Redis at REDIS_URL 127\.0\.0\.1:1 is unreachable/)]);
  });

  it('names PostgreSQL, its address and DATABASE_URL when it refuses the connection (server and CLI)', async () => {
    const url = 'postgres://facetrail@127.0.0.1:1/facetrail';
    const server = startProcess({ DATABASE_URL: url });
    expect(await server.exited).toBe(69);
    expect(server.output().trim()).toBe('facetrail: start-up failed: PostgreSQL at DATABASE_URL 127.0.0.1:1 refused the connection (is PostgreSQL running there?)');
    const cli = startProcess({ DATABASE_URL: url }, ['--import', 'tsx', 'src/cli.ts', 'projections:status']);
    expect(await cli.exited).toBe(69);
    expect(cli.output().trim()).toBe('facetrail projections:status: PostgreSQL at DATABASE_URL 127.0.0.1:1 refused the connection (is PostgreSQL running there?)');
  });

  it('refuses to start with a bad value and names the variable', async () => {
    const p = startProcess({ DATABASE_URL: dbUrl, PORT: 'eighty', EVENT_STORE_URL: 'http://nope' });
    expect(await p.exited).toBe(78);
    expect(p.output()).toMatch(/PORT='eighty' must be an integer/);
    expect(p.output()).toMatch(/EVENT_STORE_URL must use esdb:/);
  });
});
