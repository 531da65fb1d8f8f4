// The console's session in a real browser (issue 18 items 1, 2, 6): the page and every asset come
// from the server (no CDN), sign-up → consent works through the forms, the access token never
// reaches localStorage or a readable cookie, a reload restores the session from the HttpOnly
// refresh cookie, sign-out ends it; axe-core finds no serious or critical violation on the way.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { browserAvailable, launchBrowser, type Browser } from '../support/browser.js';
import { consentToAll, openConsole, signInToConsole, signUpInConsole } from '../support/console.js';

const available = browserAvailable('console-session');

let t: TestApp;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('console_session');
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe.skipIf(!available)('the console session', () => {
  it('signs up, consents, survives a reload without storing a token, and signs out', { timeout: 90_000 }, async () => {
    const c = await openConsole(browser!, t.baseUrl);
    await c.screen('facetrail', 'console-sign-in');
    await signUpInConsole(c, 'console@example.com', 'Console User');
    await consentToAll(c);
    await c.screen('Consent', 'console-consent');

    const stored = await c.page.evaluate<unknown>(`({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage), cookies: document.cookie })`);
    expect(stored).toEqual({ local: '{}', session: '{}', cookies: '' });
    const cookies = await browser!.context.cookies();
    const refresh = cookies.find((k) => k.name === 'ft_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/v1/auth/session' });

    await c.page.reload();
    await c.screen('Consent');
    await c.page.getByRole('button', { name: 'Sign out' }).click();
    await c.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect((await browser!.context.cookies()).find((k) => k.name === 'ft_refresh')).toBeUndefined();
    await c.page.reload();
    await c.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();

    await signInToConsole(c, 'console@example.com');
    c.assertClean();
    await c.page.close();
  });
});
