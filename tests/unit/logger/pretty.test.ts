// Readable log lines (issue 19 item 13): pino's JSON as `time LEVEL [role] msg  k=v …`, errors with
// their stack; JSON kept unless in development on a terminal (or LOG_FORMAT says otherwise).

import { describe, expect, it } from 'vitest';
import { wantsPretty } from '../../../src/logger.js';
import { prettyLine } from '../../../src/logger/pretty.js';

describe('prettyLine', () => {
  it('prints time, level, role, message and the other fields as key=value', () => {
    const time = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();
    const line = JSON.stringify({ level: 30, time, pid: 1, service: 'facetrail', role: 'api', msg: 'request completed', method: 'GET', route: '/v1/images/:imageId', status: 200, ms: 3.2, note: 'two words' });
    expect(prettyLine(line, false)).toBe('03:04:05.067 INFO  [api] request completed  method=GET route=/v1/images/:imageId status=200 ms=3.2 note="two words"');
  });

  it('puts an error stack under its line, colours on request, and passes non-JSON through', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { type: 'Error', message: 'bad', stack: 'Error: bad\n    at x' } });
    expect(prettyLine(line, false).split('\n')).toEqual([expect.stringMatching(/ ERROR boom {2}err=bad$/), '    Error: bad', '        at x']);
    expect(prettyLine(line, true)).toContain('\x1b[31mERROR\x1b[0m');
    expect(prettyLine('not json', false)).toBe('not json');
  });
});

describe('wantsPretty', () => {
  it('auto: only in development on a terminal; json and pretty as told', () => {
    expect(wantsPretty({ logFormat: 'auto', nodeEnv: 'development' }, { isTTY: true })).toBe(true);
    expect(wantsPretty({ logFormat: 'auto', nodeEnv: 'development' }, { isTTY: false })).toBe(false);
    expect(wantsPretty({ logFormat: 'auto', nodeEnv: 'production' }, { isTTY: true })).toBe(false);
    expect(wantsPretty({ logFormat: 'json', nodeEnv: 'development' }, { isTTY: true })).toBe(false);
    expect(wantsPretty({ logFormat: 'pretty', nodeEnv: 'production' }, { isTTY: false })).toBe(true);
  });
});
