// GraphiQL in a real browser (issue 18 item 5): Debian's chromium, driven by playwright-core,
// renders /graphiql with no request leaving the server (no CDN), and a query runs from it — without
// the token (the prefilled placeholder) the answer is the REST code, with one in the Headers tab it
// is the caller. Without a chromium binary (outside CI) the test skips, saying why.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { browserAvailable, launchBrowser, screenshot, watchPage, type Browser } from '../support/browser.js';
import { call } from '../support/http.js';

const available = browserAvailable('graphiql-browser');

let t: TestApp;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('graphiql_browser');
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe.skipIf(!available)('GraphiQL in a browser', () => {
  it('renders from our own assets only and runs a query with the token from the Headers tab', { timeout: 60_000 }, async () => {
    await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'gq@example.com', password: 'a perfectly fine password', displayName: 'GQ' } });
    const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'gq@example.com', password: 'a perfectly fine password' } })).body.accessToken;
    const page = await browser!.context.newPage();
    const { foreign, errors } = watchPage(page, t.baseUrl);
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${t.baseUrl}/graphiql`);
    await page.waitForSelector('.graphiql-container', { timeout: 20_000 }).catch((err: unknown) => {
      throw new Error(`GraphiQL did not render: ${String(err)}; page errors: ${errors.join(' | ')}; console: ${consoleLines.join(' | ')}; foreign: ${foreign.join(' ')}`);
    });
    // The schema is there (the docs explorer can list the root types), not an introspection error.
    await screenshot(page, 'graphiql');
    expect(await page.locator('.result-window').textContent()).not.toContain('query_too_deep');

    // With the prefilled placeholder instead of a token: the REST code.
    await page.click('.graphiql-execute-button');
    await page.locator('.result-window').filter({ hasText: 'malformed_authorization' }).waitFor({ timeout: 20_000 }).catch(async (err: unknown) => {
      throw new Error(`no error code in the result: ${String(err)}; result: ${await page.locator('.result-window').textContent()}`);
    });

    // With the token in the Headers tab: the caller.
    // The Headers tab's editor (CodeMirror 5, the last editor of the tools pane).
    const set = await page.evaluate(`(() => {
      const editors = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')];
      const headers = editors.at(-1);
      if (!headers) return false;
      headers.CodeMirror.setValue(${JSON.stringify(JSON.stringify({ authorization: `Bearer ${token}` }))});
      return true;
    })()`);
    expect(set).toBe(true);
    await page.click('.graphiql-execute-button');
    await page.locator('.result-window').filter({ hasText: 'gq@example.com' }).waitFor({ timeout: 20_000 });

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
