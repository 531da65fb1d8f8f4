// What an erased personal text reads as in a view or a read model (its key is shredded): a
// tombstone, never content (the sealed value itself reads as {"$erased":true}).

import { isErased } from '../../privacy/declarations.js';

export const ERASED_TEXT = '[erased]';

/** The text, or the tombstone when it was erased. */
export const textOrTombstone = (value: unknown): string => (isErased(value) ? ERASED_TEXT : (value as string));
