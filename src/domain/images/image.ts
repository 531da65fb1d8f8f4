// The image aggregate: stream `image-<uuid>`. An upload and every re-analysis request are
// "requests" (identified by their event id); each request gets at most one result, so a worker
// that runs twice (crash, retry, replayed job) records nothing new the second time.
//
// Re-analysis and deletion a user asks for carry who asks (`requestedBy`): only the owner and
// admins may, and to anyone else the image does not exist (404, never 403) — nor to anyone once
// it is deleted. The same commands from the system (schedulers, tests) carry no requester.

import { DomainError, type Decider } from '../decider.js';
import type { Viewer } from '../identity/viewer.js';
import type { AnalysisReason, FaceRecord, ImageEvent, ModelIdentity, ModelRef } from './image-events.js';

export type ImageCommand =
  | { type: 'UploadImage'; imageId: string; ownerId: string; filename: string; contentType: string; bytes: number; width: number; height: number; sha256: string }
  | { type: 'RequestAnalysis'; model: ModelRef; reason: AnalysisReason; requestedBy?: Viewer | undefined }
  | { type: 'RecordImageAnalysis'; requestId: string; model: ModelIdentity; faces: FaceRecord[]; durationMs: number }
  | { type: 'RecordAnalysisFailure'; requestId: string; model: ModelRef; error: { code: string; message: string }; attempts: number }
  | { type: 'DeleteImage'; reason: string; requestedBy?: Viewer | undefined }
  /** The erasure service's (never a user's directly: a user asks for an erasure). */
  | { type: 'EraseImage'; erasureId: string; reason: string }
  | { type: 'EraseImageFaces'; erasureId: string; purpose: string };

export type ImageState =
  | { status: 'none' }
  | {
      /** 'erased': like deleted for every command, and its content is gone (ImageErased). */
      status: 'pending' | 'analyzed' | 'failed' | 'deleted' | 'erased';
      ownerId: string;
      /** The erasures whose ImageFacesErased (or ImageErased) is recorded. */
      erasures: ReadonlySet<string>;
      sha256: string;
      /** Request ids that already have a result (ImageAnalyzed or ImageAnalysisFailed). */
      answered: ReadonlySet<string>;
      lastModel: ModelIdentity | undefined;
    };

/** Who may change image X (re-analyse, delete): its owner and admins; auditors only read. */
export function mayChangeImage(requester: Viewer, ownerId: string): boolean {
  return requester.userId === ownerId || requester.role === 'admin';
}

const imageNotFound = () => new DomainError('not_found', 'image_not_found', 'no such image');

/** A user's command on an image that is not theirs to change, or deleted, is refused as not found. */
function refusedFor(requester: Viewer | undefined, state: Exclude<ImageState, { status: 'none' }>): boolean {
  return requester !== undefined && (gone(state) || !mayChangeImage(requester, state.ownerId));
}

/** Deleted or erased: no command changes it any more. */
const gone = (state: { status: string }) => state.status === 'deleted' || state.status === 'erased';

export const imageDecider: Decider<ImageCommand, ImageEvent, ImageState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (command.type === 'UploadImage') {
      if (state.status !== 'none') throw new DomainError('conflict', 'image_exists', 'this image already exists');
      const { type: _type, ...data } = command;
      return [{ type: 'ImageUploaded', data }];
    }
    if (state.status === 'none') throw imageNotFound();
    switch (command.type) {
      case 'RequestAnalysis':
        if (gone(state) || refusedFor(command.requestedBy, state)) throw imageNotFound();
        return [{ type: 'ImageAnalysisRequested', data: { model: command.model, reason: command.reason } }];
      case 'RecordImageAnalysis':
        // A deleted or erased image, or a request already answered: nothing to record.
        if (gone(state) || state.answered.has(command.requestId)) return [];
        return [
          {
            type: 'ImageAnalyzed',
            data: { requestId: command.requestId, model: command.model, faces: command.faces, faceCount: command.faces.length, durationMs: command.durationMs },
          },
        ];
      case 'RecordAnalysisFailure':
        if (gone(state) || state.answered.has(command.requestId)) return [];
        return [{ type: 'ImageAnalysisFailed', data: { requestId: command.requestId, model: command.model, error: command.error, attempts: command.attempts } }];
      case 'DeleteImage':
        if (refusedFor(command.requestedBy, state)) throw imageNotFound();
        if (gone(state)) return [];
        return [{ type: 'ImageDeleted', data: { reason: command.reason } }];
      case 'EraseImage':
        // Also a deleted image: its content is still in the log until its keys go.
        if (state.status === 'erased') return [];
        return [{ type: 'ImageErased', data: { erasureId: command.erasureId, reason: command.reason, ownerId: state.ownerId } }];
      case 'EraseImageFaces':
        if (state.status === 'erased' || state.erasures.has(command.erasureId)) return [];
        return [{ type: 'ImageFacesErased', data: { erasureId: command.erasureId, purpose: command.purpose } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ImageUploaded':
        return { status: 'pending', ownerId: event.data.ownerId, sha256: event.data.sha256, answered: new Set(), erasures: new Set(), lastModel: undefined };
      case 'ImageAnalysisRequested':
        return state.status === 'none' || gone(state) ? state : { ...state, status: 'pending' };
      case 'ImageAnalyzed':
        if (state.status === 'none') return state;
        return {
          ...state,
          status: gone(state) ? state.status : 'analyzed',
          answered: new Set([...state.answered, event.data.requestId]),
          lastModel: event.data.model,
        };
      case 'ImageAnalysisFailed':
        if (state.status === 'none') return state;
        return { ...state, status: gone(state) ? state.status : 'failed', answered: new Set([...state.answered, event.data.requestId]) };
      case 'ImageDeleted':
        return state.status === 'none' || state.status === 'erased' ? state : { ...state, status: 'deleted' };
      case 'ImageErased':
        return state.status === 'none' ? state : { ...state, status: 'erased', erasures: new Set([...state.erasures, event.data.erasureId]) };
      case 'ImageFacesErased':
        return state.status === 'none' ? state : { ...state, erasures: new Set([...state.erasures, event.data.erasureId]) };
    }
  },
};
