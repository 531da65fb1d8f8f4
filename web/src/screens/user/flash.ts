// A message one screen leaves for the next (the image view, after a deletion, for the gallery it
// goes back to): kept in memory, read once.

import type { DeleteAnswer } from './images-api.js';

export interface Deleted {
  filename: string;
  answer: DeleteAnswer;
}

let pending: Deleted | undefined;

export function leaveDeleted(d: Deleted): void {
  pending = d;
}

/** The message left, once (later calls get undefined). */
export function takeDeleted(): Deleted | undefined {
  const d = pending;
  pending = undefined;
  return d;
}
