// The multi-instance proof (tests/support/cluster-scenario.ts, also `npm run demo:cluster`):
// 2 api, 2 projector and 2 worker processes, 120 uploads plus re-analyses and deletions, one
// projector and one worker SIGKILLed midway; nothing lost, nothing done twice, read models equal
// a rebuild. Sized for 2 shared cores (real inference, ~100 ms a photo).

import { describe, expect, it } from 'vitest';
import { runClusterScenario } from '../../support/cluster-scenario.js';

describe('several processes of each role', () => {
  it('lose nothing and do nothing twice when a projector and a worker are SIGKILLed midway', async () => {
    const report = await runClusterScenario({ uploads: 120, label: 'cluster', log: (line) => console.log(line) });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.length).toBe(8);
    // Every 10th image re-analysed (12), every 15th deleted (8): 120 + 12 analysis requests.
    expect([report.uploads, report.reanalyses, report.deletions, report.requests]).toEqual([120, 12, 8, 132]);
    expect(report.killed).toHaveLength(2);
  }, 900_000);
});
