// `npm run probe [-- --base-url http://127.0.0.1:3000] [--self] [--verbose]`
//
// Replays the hostile cases of issue 13 against a running app and prints
// `N probes, N 5xx, N events written by rejected requests`; exits 1 unless the last two are 0.
// Against a running app, DATABASE_URL must name its database (the events are counted there, and
// the probe's admin is created there). `--self` starts the whole system in this process over a
// fresh database and Redis prefix instead (tests/support/app.ts), and drops them at the end.

import { parseArgs } from 'node:util';
import { runProbe, type ProbeReport } from './run-probe.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'base-url': { type: 'string' }, self: { type: 'boolean', default: false }, verbose: { type: 'boolean', short: 'v', default: false }, strict: { type: 'boolean', default: false } },
    strict: true,
  });
  let report: ProbeReport;
  if (values.self) {
    const { startTestApp } = await import('../support/app.js');
    const t = await startTestApp('probe_self');
    try {
      report = await runProbe({ baseUrl: t.baseUrl, databaseUrl: t.db.url, verbose: values.verbose });
    } finally {
      // The deliberate writes of the probe (refresh-token reuse) are allowed by startTestApp too.
      await t.stop().catch((err: unknown) => console.error(String(err)));
    }
  } else {
    const baseUrl = values['base-url'] ?? process.env.PROBE_BASE_URL ?? 'http://127.0.0.1:3000';
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      console.error('probe: set DATABASE_URL to the app\'s database (events are counted there), or run with --self');
      return 2;
    }
    report = await runProbe({ baseUrl, databaseUrl, verbose: values.verbose });
  }
  const failed = report.serverErrors.length > 0 || report.eventsWritten > 0 || (values.strict && report.unexpected.length > 0);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
