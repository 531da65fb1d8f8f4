// Text the system can keep: PostgreSQL (jsonb and text alike) cannot store U+0000, and a lone
// UTF-16 surrogate is not a character at all (jsonb refuses its escape; UTF-8 cannot encode it, so
// a hash or a comparison of it is of U+FFFD instead). Every string a client sends is checked at
// the HTTP boundary (src/http/text-guard.ts) and every command checks its own fields, so such text
// is refused before anything is written, never half-way through a use case.

// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// C0 and C1 control characters and DEL (Unicode category Cc): never part of a name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** False for text holding NUL or a lone surrogate (the look-arounds only run on text with a surrogate or NUL). */
export const isStorableText = (text: string): boolean => !SUSPECT.test(text) || !UNSTORABLE.test(text);

/** True for text holding a control character (C0, DEL, C1): refused in names and addresses. */
export const hasControlCharacter = (text: string): boolean => CONTROL.test(text);

/** What is wrong with a name-like field (one line of printable text), or undefined. */
export function nameTextProblem(text: string): string | undefined {
  if (!isStorableText(text)) return 'contains a NUL character or a lone UTF-16 surrogate';
  if (hasControlCharacter(text)) return 'contains a control character';
  return undefined;
}
