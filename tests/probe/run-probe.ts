// Runs the probes of probe-cases.ts against an app at `baseUrl`, one at a time, each with its own
// request id, then counts the events each rejected request left in the store (by correlation id,
// in es.events of `databaseUrl`: the PostgreSQL event store).

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { registerUser } from '../../src/commands/identity/register-user.js';
import { PostgresEventStore } from '../../src/eventstore/postgres/postgres-event-store.js';
import { buildProbes, type Probe, type ProbeSubjects } from './probe-cases.js';
import { send, type ProbeRequest, type ProbeResponse } from './probe-http.js';

export interface ProbeOutcome {
  probe: Probe;
  requestId: string;
  status: number;
  text: string;
  json: unknown;
  /** Events carrying this request's correlation id (only counted for rejected requests). */
  events: string[];
  /** Why the answer is not what the probe expected, if it is not. */
  unexpected?: string;
}

export interface ProbeReport {
  outcomes: ProbeOutcome[];
  serverErrors: ProbeOutcome[];
  /** Rejected requests that left events (other than the deliberate ones of `mayWrite`). */
  writes: ProbeOutcome[];
  eventsWritten: number;
  unexpected: ProbeOutcome[];
  summary: string;
}

const PASSWORD = 'probe password, long enough';

async function must<T>(what: string, res: Promise<ProbeResponse>, status: number): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`probe setup: ${what} answered ${r.status} (expected ${status}): ${r.text.slice(0, 300)}`);
  return r.json as T;
}

async function subjects(baseUrl: string, run: string, databaseUrl: string): Promise<ProbeSubjects> {
  let n = 0;
  const call = (req: ProbeRequest) => send(baseUrl, `${run}-setup-${n++}`, req);
  const login = (email: string) => must<{ accessToken: string; refreshToken: string; userId: string }>(`login ${email}`, call({ method: 'POST', path: '/v1/auth/token', body: { email, password: PASSWORD } }), 200);
  const emails = { alice: `alice-${run}@probe.example`, bob: `bob-${run}@probe.example`, admin: `admin-${run}@probe.example` };
  const alice = await must<{ userId: string }>('register alice', call({ method: 'POST', path: '/v1/auth/register', body: { email: emails.alice, password: PASSWORD, displayName: 'Alice' } }), 201);
  const bob = await must<{ userId: string }>('register bob', call({ method: 'POST', path: '/v1/auth/register', body: { email: emails.bob, password: PASSWORD, displayName: 'Bob' } }), 201);
  // The admin is created on the command side, as the CLI's users:create does.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const store = new PostgresEventStore(pool, { url: databaseUrl });
  try {
    await registerUser(store, { email: emails.admin, password: PASSWORD, displayName: 'Probe admin', role: 'admin' }, { correlationId: `${run}-setup-admin`, actor: { id: 'probe', kind: 'system' } });
  } finally {
    await store.close();
    await pool.end();
  }
  const aliceSession = await login(emails.alice);
  const bobSession = await login(emails.bob);
  const adminSession = await login(emails.admin);
  // A second session of alice's whose first refresh token is rotated: its reuse revokes only that session.
  const spare = await login(emails.alice);
  await must('rotate', call({ method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: spare.refreshToken } }), 200);
  // Uploads need face_analysis consent (issue 15): both users give it, so upload cases are refused for their own reason.
  const policy = await must<{ version: string }>('policy', call({ method: 'GET', path: '/v1/privacy/policy' }), 200);
  for (const [who, session] of [['alice', aliceSession], ['bob', bobSession]] as const) {
    await must(`consent ${who}`, call({ method: 'POST', path: '/v1/me/consents', token: session.accessToken, body: { purpose: 'face_analysis', policyVersion: policy.version } }), 201);
  }
  const { default: sharp } = await import('sharp');
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).png().toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'alice.png');
  const uploaded = await must<{ imageId: string }>('upload', call({ method: 'POST', path: '/v1/images', token: aliceSession.accessToken, form }), 202);
  return {
    alice: { userId: alice.userId, token: aliceSession.accessToken, refreshToken: aliceSession.refreshToken, imageId: uploaded.imageId },
    bob: { userId: bob.userId, token: bobSession.accessToken },
    admin: adminSession.accessToken,
    rotatedRefreshToken: spare.refreshToken,
  };
}

interface GraphqlErrors {
  errors?: { extensions?: { code?: unknown; status?: unknown } }[];
}
const graphqlErrors = (res: Pick<ProbeResponse, 'json'>) => (res.json !== null && typeof res.json === 'object' && Array.isArray((res.json as GraphqlErrors).errors) ? (res.json as GraphqlErrors).errors! : []);

/** A GraphQL error answered 200 (with partial data) that is a server error all the same. */
const hiddenServerError = (res: Pick<ProbeResponse, 'json'>) => graphqlErrors(res).some((e) => e.extensions?.code === 'internal_error' || (typeof e.extensions?.status === 'number' && e.extensions.status >= 500));

function unexpectedAnswer(p: Probe, res: ProbeResponse): string | undefined {
  const errors = graphqlErrors(res);
  // GraphQL answers 200 when there is data, even `{ me: null }`: refused means every error is a 4xx.
  const graphqlRefusal = p.request.path.startsWith('/graphql') && res.status === 200 && errors.length > 0 && errors.every((e) => typeof e.extensions?.status === 'number' && e.extensions.status >= 400 && e.extensions.status < 500);
  const refused = (res.status >= 400 && res.status < 500) || graphqlRefusal || (res.status === 0 && p.group === 'upload');
  if (p.expect === 'refused' && !refused) return `expected a 4xx, got ${res.status}`;
  if (p.expect === 'ok' && !(res.status >= 200 && res.status < 300)) return `expected a 2xx, got ${res.status}`;
  if (res.status === 0 && p.group !== 'upload') return `no answer: ${res.text}`;
  return p.check?.(res);
}

/** Runs every probe; `log` gets one line per probe that is not as expected (and every one with verbose). */
export async function runProbe(opts: { baseUrl: string; databaseUrl: string; verbose?: boolean; log?: (line: string) => void }): Promise<ProbeReport> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const run = `probe-${randomBytes(4).toString('hex')}`;
  const probes = await buildProbes(await subjects(opts.baseUrl, run, opts.databaseUrl));
  const outcomes: ProbeOutcome[] = [];
  for (const [i, probe] of probes.entries()) {
    const requestId = `${run}-${i}`;
    const res = await send(opts.baseUrl, requestId, probe.request);
    const outcome: ProbeOutcome = { probe, requestId, status: res.status, text: res.text, json: res.json, events: [] };
    const why = unexpectedAnswer(probe, res);
    if (why) outcome.unexpected = why;
    outcomes.push(outcome);
  }

  // Events of the rejected requests, by correlation id.
  const rejected = new Map(outcomes.filter((o) => !(o.status >= 200 && o.status < 400)).map((o) => [o.requestId, o]));
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ cid: string; types: string[] }>(
      `select metadata->>'correlationId' as cid, array_agg(type order by global_position) as types from es.events where metadata->>'correlationId' like $1 group by 1`,
      [`${run}-%`],
    );
    for (const row of rows) {
      const o = rejected.get(row.cid);
      if (o) o.events = row.types;
    }
  } finally {
    await pool.end();
  }
  const writes = outcomes.filter((o) => o.events.length > 0 && !o.events.every((type) => o.probe.mayWrite?.includes(type)));
  const serverErrors = outcomes.filter((o) => o.status >= 500 || hiddenServerError(o));
  const unexpected = outcomes.filter((o) => o.unexpected !== undefined);
  const eventsWritten = writes.reduce((n, o) => n + o.events.length, 0);

  for (const o of outcomes) {
    const bad = serverErrors.includes(o) || writes.includes(o) || o.unexpected !== undefined;
    if (!bad && !opts.verbose) continue;
    const notes = [serverErrors.includes(o) ? '5XX' : '', writes.includes(o) ? `WROTE ${o.events.join(', ')}` : '', o.unexpected ? `UNEXPECTED: ${o.unexpected}` : ''].filter(Boolean).join('; ');
    log(`${bad ? '!!' : 'ok'} [${o.probe.group}] ${o.probe.name}${o.probe.owner ? ` (${o.probe.owner})` : ''} -> ${o.status}${notes ? `  ${notes}` : ''}${bad ? `\n     ${o.probe.request.method} ${o.probe.request.path.slice(0, 120)}: ${o.text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`);
  }
  const summary = `${outcomes.length} probes, ${serverErrors.length} 5xx, ${eventsWritten} events written by rejected requests`;
  log(summary);
  if (unexpected.length > 0) log(`(${unexpected.length} answers not as expected, listed above)`);
  return { outcomes, serverErrors, writes, eventsWritten, unexpected, summary };
}
