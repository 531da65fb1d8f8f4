// The pure side of time travel: parsing asOf, the prefix at a point, and the folds.

import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/eventstore/types.js';
import { foldUser } from '../../../src/queries/identity/user-history.js';
import { foldImage, imageResponse, imageVisibleTo } from '../../../src/queries/images/image-history.js';
import { InvalidAsOfError, parseAsOf, prefixAsOf } from '../../../src/queries/time-travel.js';

const IMAGE = '11111111-1111-4111-8111-111111111111';
const OWNER = '22222222-2222-4222-8222-222222222222';
const T0 = Date.parse('2025-03-01T10:00:00.000Z');

function recorded(stream: string, revision: number, type: string, data: unknown): RecordedEvent {
  return {
    id: `00000000-0000-4000-8000-${String(revision).padStart(12, '0')}`,
    stream,
    revision: BigInt(revision),
    position: { commit: 100n + BigInt(revision), prepare: 10n * BigInt(revision + 1) },
    type,
    data,
    metadata: { schemaVersion: 1 },
    recordedAt: new Date(T0 + revision * 1000),
  };
}

const face = (score: number) => ({
  box: { x: 1, y: 2, width: 30, height: 40 },
  score,
  landmarks: Array.from({ length: 68 }, (_, i): [number, number] => [i, i + 0.5]),
  descriptor: Array.from({ length: 128 }, (_, i) => i / 128),
});
const model = { name: 'facetrail-faces', version: '1', sha256: 'a'.repeat(64) };
const s = `image-${IMAGE}`;
const imageEvents = [
  recorded(s, 0, 'ImageUploaded', { imageId: IMAGE, ownerId: OWNER, filename: 'a.jpg', contentType: 'image/jpeg', bytes: 10, width: 640, height: 480, sha256: 'b'.repeat(64) }),
  recorded(s, 1, 'ImageAnalyzed', { requestId: 'r0', model, faces: [face(0.9), face(0.8)], durationMs: 101.6 }),
  recorded(s, 2, 'ImageAnalysisRequested', { model: { name: model.name, version: model.version }, reason: 'user_request' }),
  recorded(s, 3, 'ImageAnalysisFailed', { requestId: 'r2', model: { name: model.name, version: model.version }, error: { code: 'boom', message: 'it broke' }, attempts: 3 }),
  recorded(s, 4, 'ImageDeleted', { reason: 'user_request' }),
];

describe('parseAsOf', () => {
  it('takes position cursors', () => {
    expect(parseAsOf('12-34')).toEqual({ kind: 'position', position: { commit: 12n, prepare: 34n } });
  });

  it('takes RFC 3339 date-times with a zone, to the millisecond', () => {
    const at = (v: string) => {
      const p = parseAsOf(v);
      return p.kind === 'time' ? p.time.toISOString() : p;
    };
    expect(at('2025-03-01T10:00:00Z')).toBe('2025-03-01T10:00:00.000Z');
    expect(at('2025-03-01T10:00Z')).toBe('2025-03-01T10:00:00.000Z');
    expect(at('2025-03-01T10:00:00.123456Z')).toBe('2025-03-01T10:00:00.123Z');
    expect(at('2025-03-01T12:30:00+02:30')).toBe('2025-03-01T10:00:00.000Z');
    expect(at('2025-03-01T08:00:00-02:00')).toBe('2025-03-01T10:00:00.000Z');
    // An unencoded '+' in a query string arrives as a space.
    expect(at('2025-03-01T12:00:00 02:00')).toBe('2025-03-01T10:00:00.000Z');
    expect(at('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each([
    '',
    'yesterday',
    'now',
    '12',
    '12-',
    '-12',
    '123456789012345678901-1',
    '99999999999999999999-0',
    '2025-03-01',
    '2025-03-01T10:00:00',
    '2025-03-01 10:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-03-01T24:00:00Z',
    '2025-03-01T10:60:00Z',
    '2025-03-01T10:00:60Z',
    '2025-03-01T10:00:00+24:00',
    '2025-03-01T10:00:00.Z',
    `2025-03-01T10:00:00.${'1'.repeat(60)}Z`,
  ])('refuses %j', (value) => {
    expect(() => parseAsOf(value)).toThrow(InvalidAsOfError);
  });
});

describe('prefixAsOf', () => {
  it('keeps the events at or before a position or time, and stops at the first one after', () => {
    expect(prefixAsOf(imageEvents, { kind: 'position', position: { commit: 99n, prepare: 0n } })).toHaveLength(0);
    expect(prefixAsOf(imageEvents, { kind: 'position', position: imageEvents[1]!.position })).toHaveLength(2);
    expect(prefixAsOf(imageEvents, { kind: 'position', position: { commit: 101n, prepare: 21n } })).toHaveLength(2);
    expect(prefixAsOf(imageEvents, { kind: 'time', time: new Date(T0 + 2999) })).toHaveLength(3);
    expect(prefixAsOf(imageEvents, { kind: 'time', time: new Date(T0 + 3000) })).toHaveLength(4);
    // A later event that happens to sit before the point does not come back after a gap.
    const shuffled = [imageEvents[0]!, { ...imageEvents[1]!, recordedAt: new Date(T0 + 10_000) }, imageEvents[2]!];
    expect(prefixAsOf(shuffled, { kind: 'time', time: new Date(T0 + 5000) })).toHaveLength(1);
  });
});

describe('foldImage', () => {
  it('is undefined before the upload', () => {
    expect(foldImage([])).toBeUndefined();
  });

  it('mirrors the read model at every step', () => {
    const at = (n: number) => foldImage(imageEvents.slice(0, n))!;
    expect(at(1)).toMatchObject({ revision: 0n, deleted: false, faces: [] });
    expect(at(1).image).toEqual({
      imageId: IMAGE,
      ownerId: OWNER,
      filename: 'a.jpg',
      contentType: 'image/jpeg',
      bytes: 10,
      width: 640,
      height: 480,
      sha256: 'b'.repeat(64),
      status: 'pending',
      faceCount: null,
      model: null,
      analysisMs: null,
      error: null,
      uploadedAt: '2025-03-01T10:00:00.000Z',
      analyzedAt: null,
      updatedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(at(2).image).toMatchObject({ status: 'analyzed', faceCount: 2, model, analysisMs: 102, analyzedAt: '2025-03-01T10:00:01.000Z', updatedAt: '2025-03-01T10:00:01.000Z' });
    expect(at(2).faces).toHaveLength(2);
    // A new request: pending again, the last analysis's faces stay until its result.
    expect(at(3)).toMatchObject({ revision: 2n, image: { status: 'pending', faceCount: 2, model, updatedAt: '2025-03-01T10:00:02.000Z' } });
    expect(at(3).faces).toHaveLength(2);
    expect(at(4).image).toMatchObject({ status: 'failed', error: { code: 'boom', message: 'it broke' }, faceCount: 2, analyzedAt: '2025-03-01T10:00:01.000Z' });
    expect(at(5)).toMatchObject({ revision: 4n, deleted: true, faces: [] });
  });

  it('answers faces with descriptors only when asked', () => {
    const snap = foldImage(imageEvents.slice(0, 2))!;
    expect(imageResponse(snap, false).faces[0]).not.toHaveProperty('descriptor');
    expect(imageResponse(snap, true).faces[0]!.descriptor).toHaveLength(128);
  });

  it('shows an image to its owner while it is not deleted, and always to auditors and admins', () => {
    const live = foldImage(imageEvents.slice(0, 4))!;
    const gone = foldImage(imageEvents)!;
    const other = '33333333-3333-4333-8333-333333333333';
    expect(imageVisibleTo({ userId: OWNER, role: 'user' }, live)).toBe(true);
    expect(imageVisibleTo({ userId: OWNER, role: 'user' }, gone)).toBe(false);
    expect(imageVisibleTo({ userId: other, role: 'user' }, live)).toBe(false);
    expect(imageVisibleTo({ userId: other, role: 'auditor' }, gone)).toBe(true);
    expect(imageVisibleTo({ userId: other, role: 'admin' }, gone)).toBe(true);
  });
});

describe('foldUser', () => {
  const u = `user-${OWNER}`;
  const events = [
    recorded(u, 0, 'UserRegistered', { userId: OWNER, email: 'a@example.com', displayName: 'A', passwordHash: 'secret', role: 'user' }),
    recorded(u, 1, 'UserRoleChanged', { role: 'auditor', previousRole: 'user' }),
    recorded(u, 2, 'UserPasswordChanged', { passwordHash: 'other' }),
    recorded(u, 3, 'UserDeactivated', { reason: 'left' }),
  ];

  it('mirrors rm.users and never carries the password hash', () => {
    expect(foldUser([])).toBeUndefined();
    expect(foldUser(events.slice(0, 1))).toEqual({
      revision: 0n,
      user: { userId: OWNER, email: 'a@example.com', displayName: 'A', role: 'user', status: 'active', createdAt: '2025-03-01T10:00:00.000Z', updatedAt: '2025-03-01T10:00:00.000Z' },
    });
    expect(foldUser(events.slice(0, 2))).toMatchObject({ revision: 1n, user: { role: 'auditor', updatedAt: '2025-03-01T10:00:01.000Z' } });
    expect(foldUser(events.slice(0, 3))).toMatchObject({ revision: 2n, user: { role: 'auditor', status: 'active' } });
    const last = foldUser(events)!;
    expect(last).toMatchObject({ revision: 3n, user: { status: 'deactivated', updatedAt: '2025-03-01T10:00:03.000Z' } });
    expect(JSON.stringify(last.user)).not.toContain('secret');
  });
});
