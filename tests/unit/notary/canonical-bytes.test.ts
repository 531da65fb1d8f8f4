// The export reader's fast path (src/notary/canonical-bytes.ts) against the slow path it stands in
// for (JSON.parse + canonical.ts): whenever it takes a line it must give the same leaf hash and the
// same fields; where it cannot be sure it must give up.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventLeafHash } from '../../../src/notary/canonical.js';
import { fastCanonicalJson, fastExportLine } from '../../../src/notary/canonical-bytes.js';
import { parseExportLine, readExportFile } from '../../../src/notary/export-lines.js';

/** A small deterministic PRNG (the cases must replay). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'B', 'aa', 'ab', '', '1', '10', '2', '$sealed', 'ct', 'iv', 'kid', 'v', '_', 'Z', 'z9', '~', ' '];
const STRINGS = ['', 'x', 'hello world', '{"not":"json"}', 'tab\there', 'q"uote', 'back\\slash', 'new\nline', '\u0001', 'é', '\u20ac', '\ud83d\ude00', '\ud800', '<>&\'', 'a'.repeat(200)];
const NUMBERS = [0, -0, 1, -1, 42, 1.5, -2.25, 123.456, 1e21, 1e-7, 0.1, 2 ** 53, 2 ** 53 + 2, 999999999999999, 1234567890123456, Number.MAX_SAFE_INTEGER, 5e-324, 1.7976931348623157e308];

function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 4 || k < 0.35) {
    const p = r();
    if (p < 0.35) return STRINGS[Math.floor(r() * STRINGS.length)]!;
    if (p < 0.7) return NUMBERS[Math.floor(r() * NUMBERS.length)]!;
    if (p < 0.8) return true;
    if (p < 0.9) return false;
    return null;
  }
  if (k < 0.6) return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) o[NAMES[Math.floor(r() * NAMES.length)]!] = randomValue(r, depth + 1);
  return o;
}

/** Some JSON texts of v: JSON.stringify's, with spaces, with members in another order. */
function texts(v: unknown, r: () => number): string[] {
  const plain = JSON.stringify(v);
  const spaced = plain.replace(/([:,[{])/g, (m) => (r() < 0.5 ? `${m} ` : m));
  const reordered = JSON.stringify(v, function (this: unknown, _k, x: unknown) {
    if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
    const keys = Object.keys(x).reverse();
    return Object.fromEntries(keys.map((k2) => [k2, (x as Record<string, unknown>)[k2]]));
  });
  return [plain, spaced, reordered];
}

describe('fastCanonicalJson: the same text as canonicalJson(JSON.parse(text)), or no answer', () => {
  it('cases', () => {
    const cases: [string, string | undefined][] = [
      ['{"b":1,"a":{"d":[3,{"z":1,"y":2}],"c":null},"":true}', '{"":true,"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}'],
      ['{ "b" : 1 , "a" : [ 1 , 2 ] }', '{"a":[1,2],"b":1}'],
      ['{"10":1,"9":2,"1":3}', '{"1":3,"10":1,"9":2}'], // names by code units, not as array indexes
      ['{"B":1,"a":2,"_":3,"~":4}', '{"B":1,"_":3,"a":2,"~":4}'],
      ['{"ab":1,"a":2}', '{"a":2,"ab":1}'], // a prefix sorts first
      ['[1.5,-0.25,123.456,1e+21,1e-7,5e-324]', '[1.5,-0.25,123.456,1e+21,1e-7,5e-324]'],
      ['999999999999999', '999999999999999'],
      ['[]', '[]'],
      ['{}', '{}'],
      ['[[],{},[{}]]', '[[],{},[{}]]'],
      ['"plain"', '"plain"'],
      // the slow path's business:
      ['-0', undefined], // prints 0
      ['1.0', undefined],
      ['1E3', undefined],
      ['1e999', undefined], // not finite: canonical.ts refuses it
      ['1234567890123456789', undefined], // prints 1234567890123456800
      ['0.10', undefined],
      ['"a\\nb"', undefined], // an escape
      ['"\\u0041"', undefined],
      ['"é"', undefined], // not ASCII
      ['{"a":1,"a":2}', undefined], // duplicate: JSON.parse keeps the last
      ['{"b":1,"a":2,"b":3}', undefined],
      ['{"a":1}\t', undefined], // a control byte (whitespace or not)
      ['{"a":1,}', undefined],
      ['[1 2]', undefined],
      ['01', undefined],
      ['"open', undefined],
      ['tru', undefined],
      ['{"a":1}x', undefined],
    ];
    for (const [text, want] of cases) {
      const got = fastCanonicalJson(text);
      expect({ text, got }).toEqual({ text, got: want });
      if (want !== undefined) expect(canonicalJson(JSON.parse(text))).toBe(want);
    }
  });

  it('random documents: where it answers, the slow path agrees; it answers for most ASCII ones', () => {
    const r = prng(16);
    let answered = 0;
    let total = 0;
    for (let n = 0; n < 3000; n++) {
      const v = randomValue(r, 0);
      for (const t of texts(v, r)) {
        total++;
        const fast = fastCanonicalJson(t);
        if (fast === undefined) continue;
        answered++;
        expect(fast).toBe(canonicalJson(JSON.parse(t)));
      }
    }
    expect(answered).toBeGreaterThan(total / 5);
  });

  it('deep nesting: gives up well before canonical.ts refuses it', () => {
    expect(fastCanonicalJson('['.repeat(150) + ']'.repeat(150))).toBe('['.repeat(150) + ']'.repeat(150));
    expect(fastCanonicalJson('['.repeat(300) + ']'.repeat(300))).toBeUndefined();
  });
});

const sealed = (r: () => number, n: number) => ({ $sealed: { v: 1, kid: 'k' + Math.floor(r() * 1e6), iv: randomBytes(12).toString('base64url'), ct: randomBytes(n).toString('base64url') } });

function exportLine(i: number, r: () => number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    treeIndex: i,
    position: `${i + 1}-${i + 1}`,
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    stream: `image-${i}`,
    revision: String(i % 7),
    type: 'ImageUploaded',
    recordedAt: new Date(Date.UTC(2026, 11, 1) + i).toISOString(),
    data: { imageId: `img-${i}`, size: 100 + i, filename: sealed(r, 24), faces: i % 3 === 0 ? sealed(r, 900) : [], durationMs: 12.5 },
    metadata: { correlationId: `c${i}`, actor: { id: 'u', role: 'user', kind: 'user' }, schemaVersion: 1 },
    ...extra,
  });
}

/** The slow path's view of a line: what verifyLog reads off the entry. */
function slow(text: string) {
  const l = parseExportLine(text, 1);
  if (l.kind !== 'event') return { checkpoint: true };
  const e = l.entry;
  return { treeIndex: e.treeIndex, position: e.position, recordedLeaf: e.recordedLeaf?.toString('hex'), id: e.event.id, stream: e.event.stream, revision: String(e.event.revision), type: e.event.type, recordedAt: String(e.event.recordedAt), data: e.event.data, metadata: e.event.metadata, leaf: eventLeafHash(e.event).toString('hex') };
}

function fast(text: string) {
  const buf = Buffer.from(text, 'utf8');
  return fastExportLine(buf, 0, buf.length);
}

describe('fastExportLine', () => {
  it('an export line: the leaf and the spans the slow path reads', () => {
    const r = prng(1);
    for (let i = 0; i < 200; i++) {
      const t = exportLine(i, r, i % 2 ? { leafHash: randomBytes(32).toString('base64url') } : {});
      const f = fast(t);
      expect(f).toBeDefined();
      const s = slow(t);
      expect(f!.leaf.toString('hex')).toBe(s.leaf);
      expect(f!.treeIndex).toBe(s.treeIndex);
      const span = (a: number, b: number) => JSON.parse(t.slice(a, b)) as unknown;
      expect(span(f!.position0, f!.position1)).toBe(s.position);
      expect(span(f!.id0, f!.id1)).toBe(s.id);
      expect(span(f!.data0, f!.data1)).toEqual(s.data);
      expect(span(f!.metadata0, f!.metadata1)).toEqual(s.metadata);
      if (s.recordedLeaf) expect(Buffer.from(t.slice(f!.leafHash0, f!.leafHash0 + 43), 'base64url').toString('hex')).toBe(s.recordedLeaf);
    }
  });

  it('the stored form is what it covers when present', () => {
    const r = prng(2);
    const t = exportLine(3, r, { stored: { metadata: { m: 1 }, data: { z: [1, 2], a: 'x' } } });
    expect(fast(t)!.leaf.toString('hex')).toBe(slow(t).leaf);
  });

  it('gives up on what only the slow path may decide', () => {
    const r = prng(3);
    const base = JSON.parse(exportLine(5, r)) as Record<string, unknown>;
    const variants: string[] = [
      JSON.stringify({ checkpoint: { treeSize: 1 } }),
      JSON.stringify({ ...base, treeIndex: -1 }),
      JSON.stringify({ ...base, treeIndex: 1.5 }),
      JSON.stringify({ ...base, treeIndex: '5' }),
      JSON.stringify({ ...base, treeIndex: 2 ** 53 }),
      JSON.stringify({ ...base, leafHash: 'short' }),
      JSON.stringify({ ...base, leafHash: 'A'.repeat(42) + '=' }),
      JSON.stringify({ ...base, revision: '01' }),
      JSON.stringify({ ...base, revision: '' }),
      JSON.stringify({ ...base, revision: 3 }),
      JSON.stringify({ ...base, id: 7 }),
      JSON.stringify({ ...base, stored: [] }),
      JSON.stringify({ ...base, stored: null }),
      JSON.stringify({ ...base, stored: { data: 1 } }),
      JSON.stringify({ ...base, data: undefined }),
      JSON.stringify({ ...base, stream: 'é' }),
      JSON.stringify({ ...base, type: 'a"b' }),
      JSON.stringify(base).replace('"stream"', '"stream":"dup","stream"'),
      JSON.stringify(base).slice(0, -1),
      JSON.stringify(base) + 'x',
      '',
      '   ',
    ];
    for (const v of variants) expect({ v, f: fast(v) }).toEqual({ v, f: undefined });
    // null tree index: taken, no index (a tail event)
    const t = JSON.stringify({ ...base, treeIndex: null });
    expect(fast(t)?.treeIndex).toBe(-1);
    expect(slow(t).treeIndex).toBeUndefined();
  });

  it('mutated lines: whatever it takes, the slow path reads alike', () => {
    const r = prng(4);
    const alphabet = '{}[]",:0123456789-.eE+ abtrufalsenu\\\t\u00e9';
    let taken = 0;
    for (let n = 0; n < 4000; n++) {
      const line = exportLine(n, r);
      const chars = [...line];
      const edits = 1 + Math.floor(r() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(r() * chars.length);
        const c = alphabet[Math.floor(r() * alphabet.length)]!;
        const op = r();
        if (op < 0.4) chars[at] = c;
        else if (op < 0.7) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const t = chars.join('');
      const f = fast(t);
      if (!f) continue;
      taken++;
      const s = slow(t); // must not throw: the fast path took only valid JSON
      expect({ t, leaf: f.leaf.toString('hex'), treeIndex: f.treeIndex < 0 ? undefined : f.treeIndex }).toEqual({ t, leaf: s.leaf, treeIndex: s.treeIndex });
    }
    expect(taken).toBeGreaterThan(100);
  });
});

describe('readExportFile: the same entries as the line-by-line slow path', () => {
  it('over chunk boundaries, CRLF, blank and checkpoint lines, lines the fast path leaves; with and without the helper thread', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ft-canonical-bytes-'));
    try {
      const r = prng(5);
      const lines: string[] = [];
      // > 4 MiB, so lines straddle the reader's chunks
      for (let i = 0; i < 6000; i++) {
        if (i % 1000 === 7) lines.push('');
        if (i % 1500 === 9) lines.push(JSON.stringify({ checkpoint: { treeSize: i } }));
        if (i === 4000) lines.push(exportLine(i, r, { stored: { data: { big: 'x'.repeat(9 << 20) }, metadata: {} } })); // across three chunks
        else lines.push(i % 97 === 3 ? exportLine(i, r, { type: 'Caf\u00e9 "quoted"\n' }) : i % 89 === 5 ? exportLine(i, r).replace(/:/g, ': ') : exportLine(i, r));
      }
      const file = path.join(dir, 'log.ndjson');
      await writeFile(file, lines.map((l, i) => (i % 3 === 0 ? l + '\r' : l)).join('\n'));
      const want = lines.filter((l) => l !== '').map(slow).filter((s) => !('checkpoint' in s));
      // on the main thread alone, and with the helper thread (every chunk shared: no probing)
      for (const thread of [false, true] as const) {
        const cps: unknown[] = [];
        const got = [];
        for await (const e of readExportFile(file, (cp) => cps.push(cp), { thread, threadAlways: thread })) {
          got.push({ treeIndex: e.treeIndex, position: e.position, id: e.event.id, stream: e.event.stream, revision: String(e.event.revision), type: e.event.type, recordedAt: String(e.event.recordedAt), data: e.event.data, metadata: e.event.metadata, leaf: (e.leaf ?? eventLeafHash(e.event)).toString('hex'), recordedLeaf: e.recordedLeaf?.toString('hex') });
        }
        expect(cps).toHaveLength(4);
        expect(got).toHaveLength(6000);
        expect(got).toEqual(want);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
