import { describe, it } from 'vitest';
import type { Viewer } from '../../../src/domain/identity/viewer.js';
import { imageDecider, type ImageCommand } from '../../../src/domain/images/image.js';
import type { FaceRecord, ImageEvent } from '../../../src/domain/images/image-events.js';
import { given } from '../../support/given-when-then.js';

const OWNER = 'owner-1';
const ssd = { name: 'ssd', version: '1' };
const ssdFiles = { ...ssd, sha256: 'abc' };
const face: FaceRecord = { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, landmarks: [[1, 2]], descriptor: [0.5] };

const upload = {
  type: 'UploadImage' as const,
  imageId: 'img-1',
  ownerId: OWNER,
  filename: 'a.jpg',
  contentType: 'image/jpeg',
  bytes: 10,
  width: 2,
  height: 3,
  sha256: 'f00',
};
const { type: _type, ...uploadedData } = upload;
const uploaded: ImageEvent = { type: 'ImageUploaded', data: uploadedData };
const requested: ImageEvent = { type: 'ImageAnalysisRequested', data: { model: ssd, reason: 'user_request' } };
const deleted: ImageEvent = { type: 'ImageDeleted', data: { reason: 'gone' } };

const owner: Viewer = { userId: OWNER, role: 'user' };
const admin: Viewer = { userId: 'admin-1', role: 'admin' };
const auditor: Viewer = { userId: 'auditor-1', role: 'auditor' };
const otherUser: Viewer = { userId: 'other-1', role: 'user' };

const reanalyze = (requestedBy?: Viewer): ImageCommand => ({ type: 'RequestAnalysis', model: ssd, reason: 'user_request', requestedBy });
const remove = (requestedBy?: Viewer): ImageCommand => ({ type: 'DeleteImage', reason: 'gone', requestedBy });
const analysis = (requestId: string, faces: FaceRecord[] = [face]): ImageCommand => ({ type: 'RecordImageAnalysis', requestId, model: ssdFiles, faces, durationMs: 7 });
const failure = (requestId: string): ImageCommand => ({ type: 'RecordAnalysisFailure', requestId, model: ssd, error: { code: 'decode_failed', message: 'bad' }, attempts: 3 });
const analyzed = (requestId: string, faces: FaceRecord[] = [face]): ImageEvent => ({
  type: 'ImageAnalyzed',
  data: { requestId, model: ssdFiles, faces, faceCount: faces.length, durationMs: 7 },
});
const failed = (requestId: string): ImageEvent => ({ type: 'ImageAnalysisFailed', data: { requestId, model: ssd, error: { code: 'decode_failed', message: 'bad' }, attempts: 3 } });

describe('image decider: upload', () => {
  it('records the upload of a new image', () => given(imageDecider).when(upload).then([uploaded]));
  it('refuses to upload the same image twice', () => given(imageDecider, [uploaded]).when(upload).thenFails('image_exists', 'conflict'));
  it('refuses to upload over a deleted image', () => given(imageDecider, [uploaded, deleted]).when(upload).thenFails('image_exists', 'conflict'));
});

describe('image decider: re-analysis', () => {
  it('the system requests an analysis without a requester', () =>
    given(imageDecider, [uploaded]).when({ type: 'RequestAnalysis', model: ssd, reason: 'stale_model' }).then([{ type: 'ImageAnalysisRequested', data: { model: ssd, reason: 'stale_model' } }]));
  it('the owner may ask again, also after a result; who asks is not recorded in the event', () => {
    given(imageDecider, [uploaded]).when(reanalyze(owner)).then([requested]);
    given(imageDecider, [uploaded, analyzed('up')]).when(reanalyze(owner)).then([requested]);
    given(imageDecider, [uploaded, failed('up')]).when(reanalyze(owner)).then([requested]);
  });
  it('an admin may ask for any image', () => given(imageDecider, [uploaded]).when(reanalyze(admin)).then([requested]));
  it('an auditor may not: the image does not exist for them', () => given(imageDecider, [uploaded]).when(reanalyze(auditor)).thenFails('image_not_found', 'not_found'));
  it('another user may not: the image does not exist for them', () => given(imageDecider, [uploaded]).when(reanalyze(otherUser)).thenFails('image_not_found', 'not_found'));
  it('is refused for an unknown image, whoever asks', () => {
    for (const by of [undefined, owner, admin]) given(imageDecider).when(reanalyze(by)).thenFails('image_not_found', 'not_found');
  });
  it('is refused for a deleted image, whoever asks', () => {
    for (const by of [undefined, owner, admin, auditor, otherUser]) given(imageDecider, [uploaded, deleted]).when(reanalyze(by)).thenFails('image_not_found', 'not_found');
  });
});

describe('image decider: results, one per request', () => {
  it('records an analysis with its face count', () => {
    given(imageDecider, [uploaded]).when(analysis('up')).then([analyzed('up')]);
    given(imageDecider, [uploaded]).when(analysis('up', [])).then([analyzed('up', [])]);
  });
  it('records a failure', () => given(imageDecider, [uploaded]).when(failure('up')).then([failed('up')]));
  it('a second result for the same request records nothing (analysis or failure, in any order)', () => {
    given(imageDecider, [uploaded, analyzed('up')]).when(analysis('up')).then([]);
    given(imageDecider, [uploaded, analyzed('up')]).when(failure('up')).then([]);
    given(imageDecider, [uploaded, failed('up')]).when(failure('up')).then([]);
    given(imageDecider, [uploaded, failed('up')]).when(analysis('up')).then([]);
  });
  it('results for different requests each record one', () => {
    given(imageDecider, [uploaded, analyzed('up'), requested]).when(analysis('re')).then([analyzed('re')]);
    given(imageDecider, [uploaded, failed('up'), requested]).when(analysis('re')).then([analyzed('re')]);
    given(imageDecider, [uploaded, analyzed('up'), requested]).when(failure('re')).then([failed('re')]);
    given(imageDecider, [uploaded, analyzed('up'), requested, analyzed('re')]).when(analysis('re')).then([]);
    given(imageDecider, [uploaded, analyzed('up'), requested, analyzed('re')]).when(analysis('up')).then([]);
  });
  it('a result for a deleted image records nothing', () => {
    given(imageDecider, [uploaded, deleted]).when(analysis('up')).then([]);
    given(imageDecider, [uploaded, deleted]).when(failure('up')).then([]);
    given(imageDecider, [uploaded, requested, deleted]).when(analysis('re')).then([]);
  });
  it('a result for an unknown image is refused', () => {
    given(imageDecider).when(analysis('up')).thenFails('image_not_found', 'not_found');
    given(imageDecider).when(failure('up')).thenFails('image_not_found', 'not_found');
  });
});

describe('image decider: deletion', () => {
  it('the system deletes once; deleting twice records nothing', () => {
    given(imageDecider, [uploaded]).when(remove()).then([deleted]);
    given(imageDecider, [uploaded, deleted]).when(remove()).then([]);
  });
  it('the owner and admins may delete', () => {
    given(imageDecider, [uploaded]).when(remove(owner)).then([deleted]);
    given(imageDecider, [uploaded, analyzed('up')]).when(remove(admin)).then([deleted]);
  });
  it('auditors and other users may not: the image does not exist for them', () => {
    given(imageDecider, [uploaded]).when(remove(auditor)).thenFails('image_not_found', 'not_found');
    given(imageDecider, [uploaded]).when(remove(otherUser)).thenFails('image_not_found', 'not_found');
  });
  it('a user deleting a deleted image finds none (404, as for any image they cannot see)', () => {
    for (const by of [owner, admin, auditor, otherUser]) given(imageDecider, [uploaded, deleted]).when(remove(by)).thenFails('image_not_found', 'not_found');
  });
  it('an unknown image is refused, whoever asks', () => {
    for (const by of [undefined, owner, admin]) given(imageDecider).when(remove(by)).thenFails('image_not_found', 'not_found');
  });
});
