// canonicalEvent / canonicalJson: RFC 8785 (JCS) as the notary hashes it.

import { describe, expect, it } from 'vitest';
import { CanonicalFormError, canonicalEvent, canonicalJson, eventLeafHash } from '../../../src/notary/canonical.js';
import { leafHash } from '../../../src/notary/merkle.js';
import type { RecordedEvent } from '../../../src/eventstore/types.js';

function event(data: unknown, metadata: Record<string, unknown> = { correlationId: 'c', actor: { id: 'u', role: 'user' } }): RecordedEvent {
  return {
    id: '0b0f7a44-8d6f-4a55-9c55-2a2b5f0e9d11',
    stream: 'image-1',
    revision: 3n,
    position: { commit: 1n, prepare: 1n },
    type: 'ImageUploaded',
    data,
    metadata,
    recordedAt: new Date('2026-12-02T08:00:00.123Z'),
  };
}

/** Reorders every object's members (as jsonb does: shorter keys first, then bytewise). */
function jsonbLike(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbLike);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return Object.fromEntries(keys.reverse().map((k) => [k, jsonbLike((v as Record<string, unknown>)[k])]));
  }
  return v;
}

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, at every level, with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, '': true })).toBe('{"":true,"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    // RFC 8785 §3.2.3's sorting example: UTF-16 units, so the emoji (D83D DE00) sorts before U+FB33
    const keys = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // (read the member names off the text: a parsed object would list the integer-like "1" first)
    const order = [...canonicalJson(keys).matchAll(/[{,]("(?:[^"\\]|\\.)*"):/g)].map((m) => JSON.parse(m[1]!) as string);
    expect(order).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('writes numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    const cases: [number, string][] = [
      [0, '0'], [-0, '0'], [1, '1'], [-1.5, '-1.5'], [1e21, '1e+21'], [1e-7, '1e-7'], [123456789012345680000, '123456789012345680000'],
      [0.000001, '0.000001'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [9007199254740992, '9007199254740992'], [0.1 + 0.2, '0.30000000000000004'],
    ];
    for (const [n, s] of cases) expect(canonicalJson(n)).toBe(s);
    expect(() => canonicalJson(Number.NaN)).toThrow(CanonicalFormError);
    expect(() => canonicalJson(Infinity)).toThrow(CanonicalFormError);
    expect(() => canonicalJson(1n)).toThrow(CanonicalFormError);
    expect(() => canonicalJson(new Date())).toThrow(CanonicalFormError);
  });

  it('writes strings as JSON.stringify does, unicode kept as is', () => {
    expect(canonicalJson('é€😀\u0000\u001f"\\/\n')).toBe('"é€😀\\u0000\\u001f\\"\\\\/\\n"');
    expect(canonicalJson({ s: '\u2028' })).toBe(`{"s":"\u2028"}`);
  });

  it('leaves out undefined members and writes undefined array items as null, as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });
});

describe('canonicalEvent', () => {
  it('is the JCS of {id, stream, revision as a string, type, data, metadata, recordedAt as ISO}', () => {
    const e = event({ filename: { $sealed: { v: 1, kid: 'k1', iv: 'aaa', ct: 'bbb' } }, size: 12 });
    const text = canonicalEvent(e).toString('utf8');
    expect(text).toBe(
      '{"data":{"filename":{"$sealed":{"ct":"bbb","iv":"aaa","kid":"k1","v":1}},"size":12},"id":"0b0f7a44-8d6f-4a55-9c55-2a2b5f0e9d11",' +
        '"metadata":{"actor":{"id":"u","role":"user"},"correlationId":"c"},"recordedAt":"2026-12-02T08:00:00.123Z","revision":"3","stream":"image-1","type":"ImageUploaded"}',
    );
    expect(canonicalJson({ id: e.id, stream: e.stream, revision: '3', type: e.type, data: e.data, metadata: e.metadata, recordedAt: e.recordedAt.toISOString() })).toBe(text);
  });

  it('is the same for the export form (revision and recordedAt as strings) and after a jsonb-like round trip', () => {
    const data = { faces: [{ box: { y: 1, x: 2, w: 3.5, h: 4e-3 }, descriptor: { $sealed: 'abc' } }], 'ü': 'ä', nested: { deep: { z: [1, { b: 2, a: 1 }] } } };
    const e = event(data);
    const fromJson = JSON.parse(JSON.stringify(jsonbLike({ ...e, revision: '3', recordedAt: e.recordedAt.toISOString(), position: undefined }))) as Parameters<typeof canonicalEvent>[0];
    expect(canonicalEvent(fromJson).equals(canonicalEvent(e))).toBe(true);
  });

  it('differs when any covered field differs', () => {
    const base = canonicalEvent(event({ a: 1 }));
    expect(canonicalEvent(event({ a: 2 })).equals(base)).toBe(false);
    expect(canonicalEvent({ ...event({ a: 1 }), revision: 4n }).equals(base)).toBe(false);
    expect(canonicalEvent({ ...event({ a: 1 }), recordedAt: new Date('2026-12-02T08:00:00.124Z') }).equals(base)).toBe(false);
    expect(canonicalEvent(event({ a: 1 }, { correlationId: 'd' })).equals(base)).toBe(false);
  });

  it('eventLeafHash is leafHash(canonicalEvent) (the reused buffer grows for a large event)', () => {
    for (const data of [{}, { s: 'é€😀"\\' }, { big: 'x'.repeat(100_000) }, { ü: 'ä'.repeat(30_000) }, { a: 1 }]) {
      const e = event(data);
      expect(eventLeafHash(e).equals(leafHash(canonicalEvent(e)))).toBe(true);
    }
  });

  it('refuses a revision that is not a decimal integer', () => {
    expect(() => canonicalEvent({ ...event({}), revision: '01' })).toThrow(CanonicalFormError);
  });
});
