// A third-party page served as our own (the Bull Board UI) loads nothing from another origin: its
// <link> elements to an absolute http(s) address (the board's template asks Google Fonts for its
// typeface) are dropped before the page is sent. The CSP would block them anyway, but each blocked
// load is a console error and a request the page tries to make off the server; without the link
// the board falls back to the system fonts its stylesheet names.

const FOREIGN_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>/gi;

/** `html` without <link> elements that point at another origin. */
export function withoutForeignLinks(html: string): string {
  return html.replace(FOREIGN_LINK, '');
}
