// `npm run bench -- auth`: the cost of authentication.
//   - EdDSA token issue/verify per second, in process (TokenService, 1 and 8 callers in flight);
//   - argon2id hash/verify time (median of a few runs), and verify for an unknown e-mail (the dummy
//     hash) against a wrong password, which should cost the same;
//   - GET /v1/me (Bearer token, users read model) and POST /v1/auth/token (login, argon2-bound) over
//     loopback HTTP with autocannon, against the real app over a fresh database.
// autocannon runs in a worker thread so that it does not share the server's event loop.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { loadSigningKeys } from '../src/auth/keys.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../src/auth/passwords.js';
import { TokenService } from '../src/auth/tokens.js';
import { cursorToPosition } from '../src/eventstore/position.js';
import { startInProcessApp } from '../support/in-process-app.js';
import { printTable, writeResults } from './results-file.js';
import { benchConfig, benchDatabase, percentile } from './support.js';

type Row = Record<string, string | number>;

interface Timing {
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `op` from `callers` concurrent loops for `seconds`; per-op latency in ms. */
async function timed(seconds: number, callers: number, op: () => Promise<unknown>): Promise<Timing> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

async function tokenRows(keyFile: string, seconds: number): Promise<Row[]> {
  const keys = await loadSigningKeys({ devKeyFile: keyFile, allowDevKey: true });
  const tokens = new TokenService(keys, { issuer: 'facetrail', audience: 'facetrail-api' });
  const input = { userId: randomUUID(), role: 'user' as const, sessionId: randomUUID() };
  const access = (await tokens.issueAccessToken(input)).token;
  const refresh = (await tokens.issueRefreshToken({ userId: input.userId, sessionId: input.sessionId, tokenId: randomUUID() })).token;
  // Warm-up (JIT, key handles), and make sure the tokens really verify.
  for (let i = 0; i < 200; i++) {
    await tokens.issueAccessToken(input);
    await tokens.verifyAccessToken(access);
    await tokens.verifyRefreshToken(refresh);
  }

  const rows: Row[] = [];
  const cases: [string, () => Promise<unknown>][] = [
    ['token issue (access)', () => tokens.issueAccessToken(input)],
    ['token verify (access)', () => tokens.verifyAccessToken(access)],
    ['token verify (refresh)', () => tokens.verifyRefreshToken(refresh)],
  ];
  for (const [name, op] of cases) {
    for (const callers of name.includes('refresh') ? [1] : [1, 8]) {
      const t = await timed(seconds, callers, op);
      rows.push({ case: `${name}, ${callers} in flight`, n: t.ops, 'ops/s': t.perSecond, 'p50 ms': t.p50, 'p99 ms': t.p99, note: '' });
    }
  }
  return rows;
}

async function passwordRows(runs: number): Promise<Row[]> {
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const hashTimes: number[] = [];
  let stored = await hashPassword(password); // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    stored = await hashPassword(password);
    hashTimes.push(performance.now() - t0);
  }

  // Interleaved, so that drift (other load, CPU frequency) hits all three alike.
  const variants: [string, () => Promise<boolean>, boolean][] = [
    ['password verify, correct password', () => verifyPassword(stored, password), true],
    ['password verify, wrong password', () => verifyPassword(stored, `${password}-wrong`), false],
    ['password verify, unknown e-mail (dummy hash)', () => verifyAgainstDummy(password), false],
  ];
  const times = variants.map((): number[] => []);
  for (const [name, op, expected] of variants) {
    if ((await op()) !== expected) throw new Error(`${name}: expected ${expected}`);
  }
  for (let i = 0; i < runs; i++) {
    for (const [v, [, op]] of variants.entries()) {
      const t0 = performance.now();
      await op();
      times[v]!.push(performance.now() - t0);
    }
  }

  const hashMedian = median(hashTimes);
  const rows: Row[] = [{ case: 'password hash (argon2id m=19MiB t=2 p=1)', n: runs, 'ops/s': 1000 / hashMedian, 'p50 ms': hashMedian, 'p99 ms': '-', note: 'p50 = median, 1 caller' }];
  const wrong = median(times[1]!);
  for (const [v, [name]] of variants.entries()) {
    const m = median(times[v]!);
    rows.push({ case: name, n: runs, 'ops/s': 1000 / m, 'p50 ms': m, 'p99 ms': '-', note: v === 2 ? `${((m / wrong) * 100).toFixed(0)}% of wrong password` : '' });
  }
  return rows;
}

async function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  // workers: 1 puts the load generator on its own thread (connections are per worker).
  return autocannon({ ...opts, workers: 1 });
}

function httpRow(name: string, r: autocannon.Result): Row {
  const bad = r.non2xx + r.errors + r.timeouts;
  const codes = Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, s]) => `${code}×${s.count ?? 0}`);
  const note = bad === 0 ? 'non-2xx 0' : `NON-2xx ${r.non2xx} ${codes.join(' ')}, errors ${r.errors}, timeouts ${r.timeouts}`;
  return { case: name, n: r.requests.total, 'ops/s': r.requests.total / r.duration, 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, note };
}

async function httpRows(keyFile: string, meSeconds: number, loginSeconds: number): Promise<Row[]> {
  const db = await benchDatabase('facetrail_bench_auth');
  const prefix = `ft-bench-auth-${randomBytes(4).toString('hex')}:`;
  try {
    const config = benchConfig(db.url, prefix, keyFile, { AUTH_FAILED_LOGINS_PER_ACCOUNT: '10000' });
    const system = await startInProcessApp(config, pino({ level: 'silent' }));
    try {
      const { runtime, baseUrl: base } = system;
      const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
      const password = `bench-${randomBytes(8).toString('hex')}`;
      const json = { 'content-type': 'application/json' };
      const reg = await fetch(`${base}/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password, displayName: 'Bench' }) });
      if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
      const { position } = (await reg.json()) as { position: string };
      const loginBody = JSON.stringify({ email, password });
      const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: json, body: loginBody });
      if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
      const { accessToken } = (await login.json()) as { accessToken: string };
      if (!(await runtime.checkpoints.waitFor(['users'], cursorToPosition(position), 10_000))) {
        throw new Error('the users projection did not reach the registration within 10 s');
      }
      const auth = { authorization: `Bearer ${accessToken}` };
      const me = await fetch(`${base}/v1/me`, { headers: auth });
      if (me.status !== 200) throw new Error(`GET /v1/me: ${me.status} ${await me.text()}`);

      const meOpts = { url: `${base}/v1/me`, method: 'GET' as const, headers: auth, connections: 32 };
      await cannon({ ...meOpts, duration: 1 }); // warm-up
      const meResult = await cannon({ ...meOpts, duration: meSeconds });
      const loginResult = await cannon({ url: `${base}/v1/auth/token`, method: 'POST', headers: json, body: loginBody, connections: 8, duration: loginSeconds });

      const rows = [httpRow('GET /v1/me, 32 connections', meResult), httpRow('POST /v1/auth/token (login), 8 connections', loginResult)];
      for (const r of rows) if (r.note !== 'non-2xx 0') console.warn(`warning: ${r.case}: ${r.note}`);
      return rows;
    } finally {
      await system.stop(); // and the rate-limit counters and login-failure keys of this run
    }
  } finally {
    await db.drop();
  }
}

/** Sub-millisecond values keep three decimals in the printed table (the JSON keeps full numbers). */
function display(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'number' && !Number.isInteger(v) && Math.abs(v) < 1 ? v.toFixed(3) : v;
  }
  return out;
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facetrail-bench-auth-'));
  const keyFile = path.join(dir, 'jwt-dev.json');
  try {
    const rows: Row[] = [
      ...(await tokenRows(keyFile, quick ? 1 : 2.5)),
      ...(await passwordRows(quick ? 5 : 10)),
      ...(await httpRows(keyFile, quick ? 2 : 5, quick ? 2 : 3)),
    ];
    printTable(rows.map(display));
    const file = await writeResults('auth', rows);
    console.log(`\nwritten ${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
