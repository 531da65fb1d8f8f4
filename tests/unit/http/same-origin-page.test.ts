// withoutForeignLinks: the board page keeps its own stylesheets and loses those of other origins.

import { describe, expect, it } from 'vitest';
import { withoutForeignLinks } from '../../../src/http/routes/ops/same-origin-page.js';

describe('withoutForeignLinks', () => {
  it('drops <link> elements to another origin, whatever the quoting or scheme', () => {
    const html = [
      '<link href="https://fonts.example/css?family=A" rel="stylesheet">',
      "<LINK rel='preconnect' href='http://cdn.example'>",
      '<link rel=stylesheet href=//cdn.example/x.css>',
      '<link href="static/css/main.css" rel="stylesheet">',
      '<link rel="icon" href="/admin/queues/static/favicon.svg">',
    ].join('\n');
    expect(withoutForeignLinks(html).split('\n')).toEqual(['', '', '', '<link href="static/css/main.css" rel="stylesheet">', '<link rel="icon" href="/admin/queues/static/favicon.svg">']);
  });

  it('leaves a page without foreign links as it is', () => {
    const html = '<head><link href="static/a.css" rel="stylesheet"><script src="static/a.js"></script></head>';
    expect(withoutForeignLinks(html)).toBe(html);
  });
});
