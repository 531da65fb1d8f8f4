// The erasure decider (stream `erasure-<uuid>`): requested once, each shredded key recorded once,
// completed once. Every command is idempotent, so an executor that crashed between two steps (or
// a second one racing it) runs the whole erasure again and records only what is missing.

import { DomainError, type Decider } from '../decider.js';
import type { ErasureEvent, ErasurePositions, ErasureReason, ErasureTargetData, ShreddedKeyFact } from './erasure-events.js';

export type ErasureCommand =
  | { type: 'RequestErasure'; erasureId: string; target: ErasureTargetData; reason: ErasureReason; requestedBy: string }
  | { type: 'RecordShreddedKeys'; keys: readonly ShreddedKeyFact[] }
  | { type: 'CompleteErasure'; completedAt: string; positions: ErasurePositions };

export type ErasureState =
  | { status: 'none' }
  | {
      status: 'requested' | 'completed';
      erasureId: string;
      target: ErasureTargetData;
      reason: ErasureReason;
      requestedBy: string;
      /** The keys recorded as shredded, in order. */
      shredded: readonly ShreddedKeyFact[];
      completedAt: string | undefined;
      positions: ErasurePositions | undefined;
    };

const sameTarget = (a: ErasureTargetData, b: ErasureTargetData) =>
  a.scope === b.scope && a.subjectId === b.subjectId && a.imageId === b.imageId && a.purpose === b.purpose && a.withdrawal === b.withdrawal;

function validTarget(t: ErasureTargetData): boolean {
  switch (t.scope) {
    case 'account':
      return t.imageId === undefined && t.purpose === undefined;
    case 'image':
      return typeof t.imageId === 'string' && t.purpose === undefined;
    case 'purpose':
      return t.imageId === undefined && (t.purpose === 'face_analysis' || t.purpose === 'face_recognition');
    case 'faces':
      return typeof t.imageId === 'string' && t.purpose === 'face_analysis' && Number.isInteger(t.withdrawal);
    default:
      return false;
  }
}

export const erasureDecider: Decider<ErasureCommand, ErasureEvent, ErasureState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    if (command.type === 'RequestErasure') {
      if (!validTarget(command.target)) throw new DomainError('invalid', 'invalid_erasure_target', 'this is not an erasure target');
      if (state.status !== 'none') {
        // The same request again (ids are derived from the target): nothing new.
        if (sameTarget(state.target, command.target)) return [];
        throw new DomainError('conflict', 'erasure_exists', 'this erasure id names another erasure');
      }
      const { erasureId, target, reason, requestedBy } = command;
      return [{ type: 'ErasureRequested', data: { erasureId, target, reason, requestedBy } }];
    }
    if (state.status === 'none') throw new DomainError('not_found', 'erasure_not_found', 'no such erasure');
    switch (command.type) {
      case 'RecordShreddedKeys': {
        const known = new Set(state.shredded.map((k) => k.kid));
        const fresh = command.keys.filter((k) => !known.has(k.kid) && (known.add(k.kid), true));
        return fresh.map((k) => ({ type: 'KeyShredded' as const, data: { kid: k.kid, purpose: k.purpose, ...(k.imageId === undefined ? {} : { imageId: k.imageId }) } }));
      }
      case 'CompleteErasure':
        if (state.status === 'completed') return [];
        return [{ type: 'ErasureCompleted', data: { keys: state.shredded.map((k) => k.kid), completedAt: command.completedAt, positions: command.positions } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ErasureRequested':
        return { status: 'requested', ...event.data, shredded: [], completedAt: undefined, positions: undefined };
      case 'KeyShredded':
        return state.status === 'none' ? state : { ...state, shredded: [...state.shredded, event.data] };
      case 'ErasureCompleted':
        return state.status === 'none' ? state : { ...state, status: 'completed', completedAt: event.data.completedAt, positions: event.data.positions };
    }
  },
};
