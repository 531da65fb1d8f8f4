// `npm run demo:cluster [-- <uploads>]` (default 300): the multi-instance proof on this machine.
// Starts 2 api, 2 projector and 2 worker processes against a fresh PostgreSQL database and Redis
// key prefix, uploads photos through both APIs with re-analyses and deletions, SIGKILLs one
// projector and one worker midway, then checks that nothing was lost or done twice and prints a
// report. Exit 0 when every check passed. The same scenario runs in tests/e2e/cluster.test.ts.

import { runClusterScenario } from '../support/cluster-scenario.js';

const arg = process.argv[2];
const uploads = arg === undefined ? 300 : Number(arg);
if (!Number.isInteger(uploads) || uploads < 10 || uploads > 100_000) {
  console.error(`demo:cluster: expected a number of uploads from 10 to 100000, got '${arg}'`);
  process.exit(2);
}

const stamp = () => new Date().toISOString().slice(11, 19);
const report = await runClusterScenario({ uploads, label: 'demo_cluster', log: (line) => console.log(`${stamp()} ${line}`) });

console.log(`
cluster demo: 2 api + 2 projector + 2 worker processes, one PostgreSQL database, one Redis prefix
  uploads ${report.uploads}, re-analyses ${report.reanalyses}, deletions ${report.deletions} -> ${report.requests} analysis requests
  results: ${report.analyzed} ImageAnalyzed, ${report.failed} ImageAnalysisFailed
  jobs: ${report.jobs.completed} completed, ${report.jobs.failed} failed, ${report.jobs.stalledRuns} taken over after the SIGKILL, ${report.jobs.skippedRuns} found already answered
  SIGKILLed midway: ${report.killed.join(', ')}
  time: ${report.seconds.toFixed(1)} s
  checks: ${report.checks.filter((c) => c.ok).length}/${report.checks.length} passed${report.ok ? '' : `; FAILED: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join('; ')}`}`);
process.exit(report.ok ? 0 : 1);
