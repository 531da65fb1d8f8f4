// The admin's console screens in a real browser (issue 18): an admin signs in through the console,
// pages through the users (GraphQL), changes a role, deactivates a user (after a confirmation),
// sees the API's refusal of a role change for a deactivated user, erases an account and downloads
// its signed receipt — each checked against the API; then opens the queue board from the console
// (a board session cookie, no token in any URL) and the Bull Board page renders in its new tab,
// loading nothing off the server; last, the admin demotes themself and loses the admin screens.
// axe-core finds no serious or critical violation on the console's screens.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { erasureExecutorConsumer, executingErasureService } from '../../src/workers/privacy/erasure-executor.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, tokenFor } from '../support/audit.js';
import { browserAvailable, launchBrowser, screenshot, watchPage, type Browser } from '../support/browser.js';
import { openConsole, signInToConsole, type ConsolePage } from '../support/console.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';

const available = browserAvailable('console-admin');

/** More users than one page of the console's table (20). */
const EXTRA_USERS = 19;

let t: TestApp;
let browser: Browser | undefined;
let executor: ProjectorRunner | undefined;
let admin: { userId: string; token: string };
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let carol: { userId: string; token: string };

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('console_admin');
  // The erasure executor (the worker role's reactor), without the analysis workers and their models.
  const service = executingErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, pool: t.runtime.pool, blobs: new BlobStore(t.runtime.pool) });
  executor = new ProjectorRunner(t.runtime.config.databaseUrl, t.runtime.eventStore, erasureExecutorConsumer(t.runtime.eventStore, service), testLogger, { errorBackoffMs: 50 }).start();
  admin = await tokenFor(t, 'admin@example.com', 'admin');
  alice = await tokenFor(t, 'alice@example.com', 'user');
  bob = await tokenFor(t, 'bob@example.com', 'user');
  carol = await tokenFor(t, 'carol@example.com', 'user');
  const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
  for (let i = 0; i < EXTRA_USERS; i++) {
    await identity.register({ email: `extra${i}@example.com`, password: PASSWORD, displayName: `Extra ${i}`, role: 'user' }, { correlationId: 'test', actor: { id: 'cli', kind: 'system' } });
  }
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await executor?.stop();
  await t?.stop();
});

/** The user as the API has them now (admin's view). */
async function apiUser(userId: string): Promise<{ status: number; body: { role?: string; status?: string } }> {
  return call<{ role?: string; status?: string }>(t.baseUrl, 'GET', `/v1/users/${userId}`, { token: admin.token });
}

const row = (c: ConsolePage, email: string) => c.page.locator(`tr[data-user="${email}"]`);

/** The e-mails of the users the table shows. */
async function shownEmails(c: ConsolePage): Promise<(string | null)[]> {
  return Promise.all((await c.page.locator('tbody tr').all()).map((r) => r.getAttribute('data-user')));
}

/** Turns the users table's page; waits until the other page's rows show. */
async function turn(c: ConsolePage, which: 'Next page' | 'Previous page'): Promise<void> {
  const first = await c.page.locator('tbody tr').first().getAttribute('data-user');
  await c.page.getByRole('button', { name: which }).click();
  await c.page.locator(`tbody tr[data-user="${first}"]`).waitFor({ state: 'detached' });
}

/** Shows `email` on the users table (from the first page on) and opens their panel. */
async function manage(c: ConsolePage, email: string): Promise<void> {
  const { page } = c;
  while (await page.getByRole('button', { name: 'Previous page' }).isEnabled()) await turn(c, 'Previous page');
  while (!(await row(c, email).isVisible())) {
    expect(await page.getByRole('button', { name: 'Next page' }).isEnabled(), `${email} is on some page`).toBe(true);
    await turn(c, 'Next page');
  }
  await page.getByRole('button', { name: `Manage ${email}` }).click();
  await page.getByRole('heading', { level: 2, name: new RegExp(email.replace(/[.@]/g, '\\$&')) }).waitFor();
}

describe.skipIf(!available)('the admin console', () => {
  it('lists users, changes a role, deactivates and erases users, and opens the queue board', { timeout: 150_000 }, async () => {
    const c = await openConsole(browser!, t.baseUrl);
    await signInToConsole(c, 'admin@example.com', PASSWORD);
    const { page } = c;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await c.screen('Users', 'console-admin-users');

    // One page holds 20 users; the 23 span two.
    expect(await page.locator('tbody tr').count()).toBe(20);
    await expect(page.getByRole('button', { name: 'Previous page' }).isDisabled()).resolves.toBe(true);
    const firstPage = await shownEmails(c);
    await turn(c, 'Next page');
    await page.getByText('Page 2').waitFor();
    const secondPage = await shownEmails(c);
    expect(secondPage).toHaveLength(4 + EXTRA_USERS - 20);
    expect([...firstPage, ...secondPage].sort()).toEqual(
      ['admin@example.com', 'alice@example.com', 'bob@example.com', 'carol@example.com', ...Array.from({ length: EXTRA_USERS }, (_, i) => `extra${i}@example.com`)].sort(),
    );
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
    await turn(c, 'Previous page');
    await page.getByText('Page 1').waitFor();

    // A role change: applied, shown on the re-read page, and in force at the API.
    await manage(c, 'alice@example.com');
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByRole('button', { name: 'Apply the role' }).click();
    await row(c, 'alice@example.com').locator('td[data-col="role"]', { hasText: 'auditor' }).waitFor();
    expect((await apiUser(alice.userId)).body.role).toBe('auditor');

    // A deactivation: after a confirmation with a reason; bob's token stops working.
    await manage(c, 'bob@example.com');
    await page.getByRole('button', { name: 'Deactivate…' }).click();
    await page.getByLabel('Reason for the deactivation').fill('left the company');
    await c.screen('Users', 'console-admin-deactivate');
    await page.getByRole('button', { name: 'Yes, deactivate' }).click();
    await row(c, 'bob@example.com').locator('td[data-col="status"]', { hasText: 'deactivated' }).waitFor();
    expect((await apiUser(bob.userId)).body.status).toBe('deactivated');
    expect((await call(t.baseUrl, 'GET', '/v1/me', { token: bob.token })).status).toBe(401);

    // The API refuses a role change for a deactivated user: the console says so, with its code.
    await page.getByLabel('Role').selectOption('admin');
    await page.getByRole('button', { name: 'Apply the role' }).click();
    await page.getByRole('alert').filter({ hasText: 'user_deactivated' }).waitFor();
    await c.screen('Users', 'console-admin-refused');
    expect((await apiUser(bob.userId)).body.role).toBe('user');

    // An erasure: after a confirmation; the signed receipt shows and downloads; the user is gone.
    await manage(c, 'carol@example.com');
    await page.getByRole('button', { name: 'Erase the account…' }).click();
    await page.getByRole('button', { name: 'Yes, erase the account' }).click();
    await page.getByRole('heading', { name: 'Erased: carol@example.com' }).waitFor();
    await row(c, 'carol@example.com').waitFor({ state: 'detached' });
    await c.screen('Users', 'console-admin-erased');
    const shown = await page.getByLabel(/Signed receipt/).inputValue();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the receipt' }).click()]);
    const file = JSON.parse(await readFile(await download.path(), 'utf8')) as { erasureId: string; receipt: string; claims: { subject: string } };
    expect(file.receipt).toBe(shown);
    expect(file.claims.subject).toBe(carol.userId);
    const stored = await call<{ status: string; receipt: string }>(t.baseUrl, 'GET', `/v1/admin/erasures/${file.erasureId}`, { token: admin.token });
    expect(stored.body).toMatchObject({ status: 'completed', receipt: shown });
    expect((await apiUser(carol.userId)).status).toBe(404);

    // The queue board: a board session (HttpOnly cookie for /admin/queues), then the board in a new tab.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Queues' }).click();
    await c.screen('Queues', 'console-admin-queues');
    const [board] = await Promise.all([browser!.context.waitForEvent('page'), page.getByRole('button', { name: 'Open the queue board' }).click()]);
    const boardSeen = watchPage(board, t.baseUrl);
    const boardConsole: string[] = [];
    board.on('console', (m) => m.type() === 'error' && boardConsole.push(m.text()));
    await board.waitForURL(`${t.baseUrl}/admin/queues/`);
    await board.getByText('facetrail queues').first().waitFor({ timeout: 20_000 });
    await board.getByText('analysis').first().waitFor();
    expect(await board.evaluate<boolean>('window.opener === null')).toBe(true);
    expect(boardSeen.errors, 'script errors on the board').toEqual([]);
    expect(boardSeen.foreign, 'requests the board page made off the server').toEqual([]);
    expect(boardConsole, "the board's console errors (CSP violations among them)").toEqual([]);
    await screenshot(board, 'console-admin-queue-board');
    await page.getByRole('status').filter({ hasText: 'Board session open until' }).waitFor();
    await c.screen('Queues', 'console-admin-queues-open');
    const cookie = (await browser!.context.cookies()).find((k) => k.name === 'ft_queue_board');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/queues' });
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    await board.close();

    // Demoting yourself: the API allows it; the console warns, then takes the admin screens away.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await c.screen('Users');
    await manage(c, 'admin@example.com');
    await page.getByText('This is you').waitFor();
    await page.getByLabel('Role').selectOption('user');
    await page.getByRole('button', { name: 'Apply the role' }).click();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).waitFor({ state: 'detached' });
    expect((await call<{ role: string }>(t.baseUrl, 'GET', '/v1/me', { token: admin.token })).body.role).toBe('user');

    c.assertClean();
    await page.close();
  });
});
