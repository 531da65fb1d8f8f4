import { ANY, EVENT_TYPE, NO_STREAM, STREAM_EXISTS, STREAM_NAME, UnavailableError, type AllStreamResolvedEvent } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { EventStoreUnavailableError } from '../../../src/eventstore/errors.js';
import {
  exactTypesRegex,
  fromEsdbActualRevision,
  isAfter,
  matchesFilter,
  subscriptionFilter,
  toEsdbExpectedRevision,
  toPosition,
  toRecordedEvent,
  wrapError,
} from '../../../src/eventstore/esdb/mapping.js';

function resolved(over: Partial<{ streamId: string; type: string; isJson: boolean; metadata: unknown; position: { commit: bigint; prepare: bigint } }> = {}): AllStreamResolvedEvent {
  return {
    event: {
      streamId: 'face-1',
      id: '0b7f3c1e-8a4d-4e0c-9a55-5a1f7b0c2d3e',
      isJson: true,
      revision: 3n,
      type: 'FaceDetected',
      created: new Date('2024-05-01T10:00:00Z'),
      data: { box: [1, 2, 3, 4] },
      metadata: { correlationId: 'c-1' },
      position: { commit: 200n, prepare: 150n },
      ...over,
    },
  } as AllStreamResolvedEvent;
}

describe('esdb mapping', () => {
  it('maps expected revisions onto the client constants', () => {
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision(0n)).toBe(0n);
    expect(toEsdbExpectedRevision(41n)).toBe(41n);
  });

  it('maps the actual revision of a conflict', () => {
    expect(fromEsdbActualRevision(NO_STREAM)).toBe('no_stream');
    expect(fromEsdbActualRevision(0n)).toBe(0n);
    expect(fromEsdbActualRevision(7n)).toBe(7n);
    expect(fromEsdbActualRevision(-1n)).toBe('no_stream');
  });

  it('uses {commit, prepare} as the position and compares exclusively', () => {
    const source = { commit: 10n, prepare: 9n };
    const p = toPosition(source);
    expect(p).toEqual({ commit: 10n, prepare: 9n });
    expect(p).not.toBe(source);
    expect(toPosition(undefined)).toBeUndefined();
    expect(isAfter({ commit: 10n, prepare: 9n }, { commit: 10n, prepare: 9n })).toBe(false);
    expect(isAfter({ commit: 10n, prepare: 10n }, { commit: 10n, prepare: 9n })).toBe(true);
    expect(isAfter({ commit: 9n, prepare: 9n }, { commit: 10n, prepare: 0n })).toBe(false);
    expect(isAfter({ commit: 0n, prepare: 0n }, undefined)).toBe(true);
  });

  it('maps a resolved event and drops system, non-JSON and link-only ones', () => {
    const e = toRecordedEvent(resolved());
    expect(e).toEqual({
      id: '0b7f3c1e-8a4d-4e0c-9a55-5a1f7b0c2d3e',
      stream: 'face-1',
      revision: 3n,
      position: { commit: 200n, prepare: 150n },
      type: 'FaceDetected',
      data: { box: [1, 2, 3, 4] },
      metadata: { correlationId: 'c-1' },
      recordedAt: new Date('2024-05-01T10:00:00Z'),
    });
    expect(toRecordedEvent(resolved({ metadata: undefined }))?.metadata).toEqual({});
    expect(toRecordedEvent(resolved({ metadata: new Uint8Array([1]) }))?.metadata).toEqual({});
    expect(toRecordedEvent(resolved({ type: '$metadata' }))).toBeUndefined();
    expect(toRecordedEvent(resolved({ streamId: '$stats-127.0.0.1:2113', type: 'Stats' }))).toBeUndefined();
    expect(toRecordedEvent(resolved({ isJson: false }))).toBeUndefined();
    expect(toRecordedEvent({})).toBeUndefined();
    expect(() => toRecordedEvent(resolved({ position: undefined }))).toThrow(/without a log position/);
  });

  it('filters client side like the PostgreSQL adapter', () => {
    const e = { stream: 'face-1', type: 'FaceDetected' };
    expect(matchesFilter(e, undefined)).toBe(true);
    expect(matchesFilter(e, { streamPrefixes: [], eventTypes: [] })).toBe(true);
    expect(matchesFilter(e, { streamPrefixes: ['image-', 'face-'] })).toBe(true);
    expect(matchesFilter(e, { streamPrefixes: ['image-'] })).toBe(false);
    expect(matchesFilter(e, { eventTypes: ['FaceDetected'] })).toBe(true);
    expect(matchesFilter(e, { eventTypes: ['FaceDetect'] })).toBe(false);
    expect(matchesFilter(e, { streamPrefixes: ['face-'], eventTypes: ['Other'] })).toBe(false);
  });

  it('builds the server-side subscription filter', () => {
    const none = subscriptionFilter(undefined);
    expect(none.server).toMatchObject({ filterOn: EVENT_TYPE, regex: '^[^$].*' });
    expect(none.client).toBeUndefined();

    const streams = subscriptionFilter({ streamPrefixes: ['face-'] });
    expect(streams.server).toMatchObject({ filterOn: STREAM_NAME, prefixes: ['face-'] });
    expect(streams.client).toBeUndefined();

    const types = subscriptionFilter({ eventTypes: ['A.b', 'C'] });
    expect(types.server).toMatchObject({ filterOn: EVENT_TYPE, regex: '^(?:A\\.b|C)$' });
    expect(types.client).toBeUndefined();

    const both = subscriptionFilter({ streamPrefixes: ['face-'], eventTypes: ['C'] });
    expect(both.server).toMatchObject({ filterOn: STREAM_NAME, prefixes: ['face-'] });
    expect(both.client).toEqual({ eventTypes: ['C'] });

    // An empty prefix matches everything, so it must not open the filter to system streams.
    expect(subscriptionFilter({ streamPrefixes: [''] }).server).toMatchObject({ filterOn: EVENT_TYPE, regex: '^[^$].*' });
  });

  it('builds exact-match type regexes', () => {
    const re = new RegExp(exactTypesRegex(['Face.Detected', 'a+b', '(x)']));
    expect(re.test('Face.Detected')).toBe(true);
    expect(re.test('FaceXDetected')).toBe(false);
    expect(re.test('Face.DetectedLater')).toBe(false);
    expect(re.test('a+b')).toBe(true);
    expect(re.test('aab')).toBe(false);
    expect(re.test('(x)')).toBe(true);
  });

  it('turns connection errors into EventStoreUnavailableError and leaves others alone', () => {
    const down = wrapError(new UnavailableError());
    expect(down).toBeInstanceOf(EventStoreUnavailableError);
    expect(wrapError(new Error('Failed to discover after 10 attempts.'))).toBeInstanceOf(EventStoreUnavailableError);
    const other = new Error('boom');
    expect(wrapError(other)).toBe(other);
  });
});
