// The one parser of each client-given kind (issue 13, items 2, 3, 6, 12): cursors, revisions,
// instants and days, storable text, display text.

import { describe, expect, it } from 'vitest';
import { withoutBidiControls } from '../../../src/domain/text/display-text.js';
import { isStorableText, nameTextProblem } from '../../../src/domain/text/storable-text.js';
import { cursorToPosition, POSITION_PART_MAX } from '../../../src/eventstore/position.js';
import { parseRevision } from '../../../src/eventstore/revision.js';
import { findUnstorableText } from '../../../src/http/text-guard.js';
import { dayRange, parseDay, parseInstant } from '../../../src/queries/dates.js';

describe('cursorToPosition', () => {
  it('takes each part from 0 to 2^63 - 1', () => {
    expect(cursorToPosition('0-0')).toEqual({ commit: 0n, prepare: 0n });
    expect(cursorToPosition('9223372036854775807-9223372036854775807')).toEqual({ commit: POSITION_PART_MAX, prepare: POSITION_PART_MAX });
    for (const bad of ['1-9223372036854775808', '9223372036854775808-1', '18446744073709551615-18446744073709551615', '99999999999999999999-0', '1-', '-1', '1-2-3', ' 1-2', '1.0-2']) {
      expect(() => cursorToPosition(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    }
  });
});

describe('parseRevision', () => {
  it('takes 0 to 2^63 - 1', () => {
    expect(parseRevision('0')).toBe(0n);
    expect(parseRevision('9223372036854775807')).toBe((1n << 63n) - 1n);
    for (const bad of ['9223372036854775808', '99999999999999999999', '-1', '', '1e3', ' 1']) expect(() => parseRevision(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_revision' }));
  });
});

describe('parseInstant and parseDay', () => {
  it('refuse what PostgreSQL cannot hold as invalid_date, malformed values as validation_failed', () => {
    expect(parseInstant('0001-01-01T00:00:00Z', 'x').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseInstant('9999-12-31T23:59:59.999Z', 'x').toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(parseInstant('2025-01-31T13:00:00+01:00', 'x').toISOString()).toBe('2025-01-31T12:00:00.000Z');
    for (const out of ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59-00:01']) expect(() => parseInstant(out, 'x'), out).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    for (const bad of ['2025-01-31', '2025-02-30T00:00:00Z', '2025-01-31T12:00:00', '+275760-09-13T00:00:00Z', 'yesterday']) expect(() => parseInstant(bad, 'x'), bad).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(parseDay('0001-01-01', 'x')).toBe('0001-01-01');
    expect(() => parseDay('0000-01-01', 'x')).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    expect(() => parseDay('2023-02-29', 'x')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('dayRange: the default from never leaves the range', () => {
    expect(dayRange({ to: '0001-01-05' })).toEqual({ from: '0001-01-01', to: '0001-01-05' });
    expect(dayRange({ to: '2025-03-01' })).toEqual({ from: '2025-01-31', to: '2025-03-01' });
    expect(dayRange({}, { now: new Date('2025-03-01T10:00:00Z') })).toEqual({ from: '2025-01-31', to: '2025-03-01' });
    expect(() => dayRange({ from: '2025-03-02', to: '2025-03-01' })).toThrow(expect.objectContaining({ code: 'invalid_range' }));
    expect(() => dayRange({ from: '2024-01-01', to: '2025-03-01' })).toThrow(expect.objectContaining({ code: 'invalid_range' }));
  });
});

describe('storable and display text', () => {
  it('NUL and lone surrogates cannot be stored; pairs can', () => {
    expect(isStorableText('plain \ud83d\ude00 text\n')).toBe(true);
    for (const bad of ['\u0000', 'a\ud800', '\udc00b', '\ude00\ud83d']) expect(isStorableText(bad), JSON.stringify(bad)).toBe(false);
    expect(nameTextProblem('tab\tname')).toMatch(/control/);
    expect(nameTextProblem('c1\u0085')).toMatch(/control/);
    expect(nameTextProblem('Zoë')).toBeUndefined();
  });

  it('findUnstorableText walks keys and values iteratively (no stack overflow at any depth)', () => {
    expect(findUnstorableText({ a: [1, 'ok', { b: 'x\u0000' }] })).toBe('/a/2/b');
    expect(findUnstorableText({ ['k\ud800']: 1 })).toBe('/k\ud800');
    expect(findUnstorableText({ a: 'fine', b: [null, true, 3] })).toBeUndefined();
    let deep: unknown = 'x\udc00';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)).toMatch(/^(\/0){100000}$/);
  });

  it('bidi controls are removed for display', () => {
    expect(withoutBidiControls('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(withoutBidiControls('a\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061cb')).toBe('ab');
    const plain = 'שלום.png';
    expect(withoutBidiControls(plain)).toBe(plain);
  });
});
