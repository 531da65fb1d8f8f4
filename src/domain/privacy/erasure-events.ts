// The erasure stream `erasure-<uuid>` (issue 15 item 4, DESIGN.md §9): one erasure of personal data
// — an account, an image, or the biometric data collected under a consent purpose — from its
// request to its completion. The facts of erasure on the subjects' own streams (UserErased,
// ImageErased, ImageFacesErased) name the erasure; this stream says what was asked, which keys
// were shredded (one KeyShredded each) and where the facts are (ErasureCompleted.positions), which
// is what the signed receipt states.

import type { DomainEvent } from '../decider.js';
import type { KeyPurpose } from '../../privacy/declarations.js';

/** `faces`: one image's biometric data only (retention); the image, its filename and bytes stay. */
export type ErasureScope = 'account' | 'image' | 'purpose' | 'faces';
export type ErasureReason = 'user_request' | 'admin_request' | 'retention' | 'consent_withdrawn';
export const ERASURE_REASONS: readonly ErasureReason[] = ['user_request', 'admin_request', 'retention', 'consent_withdrawn'];

/** What one erasure erases. `subjectId` is always the data subject (an image's owner for an image). */
export interface ErasureTargetData {
  scope: ErasureScope;
  subjectId: string;
  imageId?: string;
  purpose?: KeyPurpose;
  /** For a purpose: which withdrawal of the consent (1, 2, …) this erasure answers; for faces: which erasure of the image's faces (1, 2, …). */
  withdrawal?: number;
}

export interface ShreddedKeyFact {
  kid: string;
  purpose: KeyPurpose;
  imageId?: string;
}

/** Where the facts of one erasure are in the log (position cursors). */
export interface ErasurePositions {
  /** The ErasureRequested event. */
  requested: string;
  /** Each fact on a subject's stream: stream name → the cursor of its UserErased/ImageErased/ImageFacesErased. */
  facts: Record<string, string>;
  /** The last KeyShredded (null when no key was left to shred). */
  shredded: string | null;
}

export type ErasureRequested = DomainEvent<'ErasureRequested', { erasureId: string; target: ErasureTargetData; reason: ErasureReason; requestedBy: string }>;
export type KeyShredded = DomainEvent<'KeyShredded', ShreddedKeyFact>;
export type ErasureCompleted = DomainEvent<'ErasureCompleted', { keys: string[]; completedAt: string; positions: ErasurePositions }>;

export type ErasureEvent = ErasureRequested | KeyShredded | ErasureCompleted;

export const ERASURE_STREAM_PREFIX = 'erasure-';
export const erasureStream = (erasureId: string) => `${ERASURE_STREAM_PREFIX}${erasureId}`;
export const ERASURE_EVENT_TYPES = ['ErasureRequested', 'KeyShredded', 'ErasureCompleted'] as const;
