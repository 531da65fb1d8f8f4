// Text shown to people that someone else chose (file names): Unicode bidirectional controls are
// removed, so "invoice\u202Egpj.exe" reads as what it is ("invoicegpj.exe") and not as
// "invoiceexe.jpg". Removed rather than refused: they are invisible, carry no meaning of their own
// in a file name, and a right-to-left name still displays in its script's direction without them
// (the Unicode bidi algorithm orders strong characters by itself).
//
// The embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E/U+200F
// and U+061C (Arabic letter mark).

const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const BIDI_CONTROLS = new RegExp(BIDI_CONTROL.source, 'g');

/** True if the text holds a bidirectional control character. */
export const hasBidiControl = (text: string): boolean => BIDI_CONTROL.test(text);

/** The text without bidirectional control characters (the same string when it has none). */
export const withoutBidiControls = (text: string): string => (BIDI_CONTROL.test(text) ? text.replace(BIDI_CONTROLS, '') : text);
