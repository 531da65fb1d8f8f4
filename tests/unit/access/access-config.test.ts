// ACCESS_LOG_RETENTION_DAYS (issue 16 item 6): at least 183 days (EU AI Act Art. 19(1), 26(6)),
// default 183; ACCESS_LOG_SELF true/false. And the pure parts of the access log: purposes, streams.

import { describe, expect, it } from 'vitest';
import { subjectsToRecord } from '../../../src/commands/access/access-log.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { accessStream, dayOfAccessStream, purposeProblem } from '../../../src/domain/access/access-events.js';
import { accessPeriodSubject } from '../../../src/domain/access/period-key.js';
import { accessPersonalData } from '../../../src/domain/access/personal-data.js';

describe('access log configuration', () => {
  it('defaults to 183 days and no self-logging', () => {
    expect(loadConfig({}).accessLog).toEqual({ retentionDays: 183, logSelf: false });
    expect(loadConfig({ ACCESS_LOG_RETENTION_DAYS: '400', ACCESS_LOG_SELF: 'true' }).accessLog).toEqual({ retentionDays: 400, logSelf: true });
  });

  it('refuses a retention below six months, naming the rule', () => {
    expect(() => loadConfig({ ACCESS_LOG_RETENTION_DAYS: '182' })).toThrow(ConfigError);
    expect(() => loadConfig({ ACCESS_LOG_RETENTION_DAYS: '30' })).toThrow(/ACCESS_LOG_RETENTION_DAYS='30' is below 183: the EU AI Act/);
    expect(() => loadConfig({ ACCESS_LOG_SELF: 'yes' })).toThrow(/ACCESS_LOG_SELF='yes' must be one of: true, false/);
  });
});

describe('access records', () => {
  it('seals who, whose and why under the day key of the stream', () => {
    const decl = accessPersonalData.BiometricDataAccessed!;
    expect(decl.fields).toEqual(['parties']);
    expect(decl.key(accessStream('2026-12-02', 3), {})).toEqual({ purpose: 'access_log', subjectId: accessPeriodSubject('2026-12-02') });
    expect(accessPeriodSubject('2026-12-02')).not.toBe(accessPeriodSubject('2026-12-03'));
    expect(dayOfAccessStream('access-expiry-2026-12-02')).toBeUndefined();
    expect(() => decl.key('access-nope', {})).toThrow();
  });

  it('purposes: printable, 1-200 characters', () => {
    expect(purposeProblem('case 42: review')).toBeNull();
    expect(purposeProblem(' ')).toMatch(/empty/);
    expect(purposeProblem('x'.repeat(201))).toMatch(/200/);
    expect(purposeProblem('a\nb')).toMatch(/printable/);
  });

  it("drops the accessor's own data unless logSelf, and merges subjects", () => {
    const me = { id: 'a', role: 'admin' as const };
    const subjects = [
      { subjectId: 'a', imageIds: ['1'] },
      { subjectId: 'b', imageIds: ['2'] },
      { subjectId: 'b', imageIds: ['2', '3'] },
    ];
    expect(subjectsToRecord({ accessor: me, subjects }, false)).toEqual([{ subjectId: 'b', imageIds: ['2', '3'] }]);
    expect(subjectsToRecord({ accessor: me, subjects }, true)).toEqual([
      { subjectId: 'a', imageIds: ['1'] },
      { subjectId: 'b', imageIds: ['2', '3'] },
    ]);
  });
});
