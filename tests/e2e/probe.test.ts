// The issue 13 probe (tests/probe, `npm run probe -- --self`) in-process: every hostile case is
// answered without a 5xx, no rejected request leaves an event, and each answer is what its probe
// expects (forged tokens 401, other users' images 404, bad uploads 4xx, edge inputs coded 400s).
// A failure lists the probes, with the helper/item that owns each fix (see probe-cases.ts).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { runProbe, type ProbeOutcome } from '../probe/run-probe.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('hb_probe');
});
afterAll(async () => {
  await t.stop();
});

const describeAll = (list: ProbeOutcome[]) => list.map((o) => `[${o.probe.group}] ${o.probe.name}${o.probe.owner ? ` (${o.probe.owner})` : ''} -> ${o.status} ${o.unexpected ?? ''} ${o.events.join(', ')} ${o.text.slice(0, 160)}`);

it('replays the hostile cases: no 5xx, nothing written by a rejected request, every answer as expected', { timeout: 300_000 }, async () => {
  const lines: string[] = [];
  const report = await runProbe({ baseUrl: t.baseUrl, databaseUrl: t.db.url, log: (line) => lines.push(line) });
  expect(report.outcomes.length).toBeGreaterThan(100);
  expect(describeAll(report.serverErrors)).toEqual([]);
  expect(describeAll(report.writes)).toEqual([]);
  expect(report.eventsWritten).toBe(0);
  expect(describeAll(report.unexpected)).toEqual([]);
  expect(lines.at(-1)).toBe(`${report.outcomes.length} probes, 0 5xx, 0 events written by rejected requests`);
});
