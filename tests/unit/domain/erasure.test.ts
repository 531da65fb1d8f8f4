// The erasure decider and the image decider's erased states (issue 15 item 4): Given/When/Then.

import { describe, expect, it } from 'vitest';
import { erasureDecider } from '../../../src/domain/privacy/erasure.js';
import type { ErasureEvent, ErasureTargetData } from '../../../src/domain/privacy/erasure-events.js';
import { imageDecider } from '../../../src/domain/images/image.js';
import type { ImageEvent } from '../../../src/domain/images/image-events.js';
import { imageViewFold } from '../../../src/domain/images/image-view.js';
import { foldView } from '../../../src/domain/view-fold.js';
import { given } from '../../support/given-when-then.js';

const E = '11111111-1111-4111-8111-111111111111';
const U = '22222222-2222-4222-8222-222222222222';
const I = '33333333-3333-4333-8333-333333333333';
const account: ErasureTargetData = { scope: 'account', subjectId: U };
const requested: ErasureEvent = { type: 'ErasureRequested', data: { erasureId: E, target: account, reason: 'user_request', requestedBy: U } };
const key = (kid: string) => ({ kid, purpose: 'profile' as const });
const positions = { requested: '1-0', facts: { [`user-${U}`]: '2-0' }, shredded: '3-0' };

describe('erasure decider', () => {
  it('records a request once; the same target again records nothing; another target under the id is refused', () => {
    given(erasureDecider).when({ type: 'RequestErasure', erasureId: E, target: account, reason: 'user_request', requestedBy: U }).then([requested]);
    given(erasureDecider, [requested]).when({ type: 'RequestErasure', erasureId: E, target: account, reason: 'admin_request', requestedBy: 'x' }).then([]);
    given(erasureDecider, [requested]).when({ type: 'RequestErasure', erasureId: E, target: { scope: 'image', subjectId: U, imageId: I }, reason: 'user_request', requestedBy: U }).thenFails('erasure_exists', 'conflict');
    given(erasureDecider).when({ type: 'RequestErasure', erasureId: E, target: { scope: 'image', subjectId: U }, reason: 'user_request', requestedBy: U }).thenFails('invalid_erasure_target', 'invalid');
  });

  it('records each shredded key once, whatever the repeats', () => {
    const k1: ErasureEvent = { type: 'KeyShredded', data: key('k1') };
    given(erasureDecider, [requested]).when({ type: 'RecordShreddedKeys', keys: [key('k1'), key('k2'), key('k1')] }).then([k1, { type: 'KeyShredded', data: key('k2') }]);
    given(erasureDecider, [requested, k1]).when({ type: 'RecordShreddedKeys', keys: [key('k1')] }).then([]);
    given(erasureDecider).when({ type: 'RecordShreddedKeys', keys: [key('k1')] }).thenFails('erasure_not_found', 'not_found');
  });

  it('completes once, naming the keys recorded', () => {
    const k1: ErasureEvent = { type: 'KeyShredded', data: key('k1') };
    const done: ErasureEvent = { type: 'ErasureCompleted', data: { keys: ['k1'], completedAt: '2026-01-01T00:00:00.000Z', positions } };
    given(erasureDecider, [requested, k1]).when({ type: 'CompleteErasure', completedAt: '2026-01-01T00:00:00.000Z', positions }).then([done]);
    given(erasureDecider, [requested, k1, done]).when({ type: 'CompleteErasure', completedAt: '2026-02-01T00:00:00.000Z', positions }).then([]);
  });
});

describe('image decider: erased', () => {
  const uploaded: ImageEvent = { type: 'ImageUploaded', data: { imageId: I, ownerId: U, filename: 'a.jpg', contentType: 'image/jpeg', bytes: 1, width: 1, height: 1, sha256: 'a'.repeat(64) } };
  const erased: ImageEvent = { type: 'ImageErased', data: { erasureId: E, reason: 'user_request', ownerId: U } };
  const model = { name: 'm', version: '1', sha256: 'b'.repeat(64) };

  it('erases once (a deleted image too), and then refuses or ignores every command', () => {
    given(imageDecider, [uploaded]).when({ type: 'EraseImage', erasureId: E, reason: 'user_request' }).then([erased]);
    given(imageDecider, [uploaded, { type: 'ImageDeleted', data: { reason: 'x' } }]).when({ type: 'EraseImage', erasureId: E, reason: 'user_request' }).then([erased]);
    given(imageDecider, [uploaded, erased]).when({ type: 'EraseImage', erasureId: E, reason: 'user_request' }).then([]);
    given(imageDecider, [uploaded, erased]).when({ type: 'RequestAnalysis', model, reason: 'user_request', requestedBy: { userId: U, role: 'user' } }).thenFails('image_not_found', 'not_found');
    given(imageDecider, [uploaded, erased]).when({ type: 'RecordImageAnalysis', requestId: 'r', model, faces: [], durationMs: 1 }).then([]);
    given(imageDecider, [uploaded, erased]).when({ type: 'DeleteImage', reason: 'x', requestedBy: { userId: U, role: 'user' } }).thenFails('image_not_found', 'not_found');
    given(imageDecider).when({ type: 'EraseImage', erasureId: E, reason: 'user_request' }).thenFails('image_not_found', 'not_found');
  });

  it('erases the faces once per erasure; the image stays', () => {
    const facesErased: ImageEvent = { type: 'ImageFacesErased', data: { erasureId: E, purpose: 'face_analysis' } };
    given(imageDecider, [uploaded]).when({ type: 'EraseImageFaces', erasureId: E, purpose: 'face_analysis' }).then([facesErased]);
    given(imageDecider, [uploaded, facesErased]).when({ type: 'EraseImageFaces', erasureId: E, purpose: 'face_analysis' }).then([]);
  });

  it('the view reads erased fields as tombstones and ends at ImageErased', () => {
    const meta = (revision: number) => ({ id: `e${revision}`, stream: `image-${I}`, revision: BigInt(revision), position: { commit: BigInt(revision), prepare: 0n }, recordedAt: new Date(0), metadata: {} });
    const events = [
      { ...meta(0), type: 'ImageUploaded', data: { ...uploaded.data, filename: { $erased: true } } },
      { ...meta(1), type: 'ImageAnalyzed', data: { requestId: 'e0', model, faces: { $erased: true }, faceCount: 2, durationMs: 1 } },
    ];
    const view = foldView(imageViewFold, events as never);
    expect(view).toMatchObject({ filename: '[erased]', faceCount: 2, faces: { count: 2, faces: [] } });
    expect(foldView(imageViewFold, [...events, { ...meta(2), type: 'ImageErased', data: erased.data }] as never)).toBeUndefined();
  });
});
