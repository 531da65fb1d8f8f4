// Driving the web console in a test: open it, sign up or in through its own forms, wait for a
// screen, and check each screen with axe-core. Built on tests/support/browser.ts.

import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot, seriousViolations, watchPage, type Browser } from './browser.js';

export interface ConsolePage {
  page: Page;
  /** Requests that left the server and script errors so far (a test expects none of either). */
  seen: { foreign: string[]; errors: string[] };
  /** Waits for the screen titled `title` (its h1), then checks it with axe-core and takes a screenshot named `shot`. */
  screen(title: string, shot?: string): Promise<void>;
  /** Fails when anything left the server or a script error happened. */
  assertClean(): void;
}

export async function openConsole(browser: Browser, baseUrl: string, hash = ''): Promise<ConsolePage> {
  const page = await browser.context.newPage();
  const seen = watchPage(page, baseUrl);
  await page.goto(`${baseUrl}/${hash}`);
  return {
    page,
    seen,
    async screen(title, shot) {
      await page.locator('h1', { hasText: title }).first().waitFor({ timeout: 20_000 });
      expect(await seriousViolations(page), `axe-core on "${title}"`).toEqual([]);
      if (shot) await screenshot(page, shot);
    },
    assertClean() {
      expect(seen.foreign, 'requests that left the server').toEqual([]);
      expect(seen.errors, 'script errors').toEqual([]);
    },
  };
}

export const PASSWORD = 'a perfectly fine password';

/** Signs up through the console's form; lands on the consent screen. */
export async function signUpInConsole(c: ConsolePage, email: string, displayName: string): Promise<void> {
  const { page } = c;
  await page.getByRole('button', { name: 'No account? Sign up' }).click();
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await c.screen('Consent');
}

export async function signInToConsole(c: ConsolePage, email: string, password = PASSWORD): Promise<void> {
  const { page } = c;
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20_000 });
}

/** Gives both consents on the consent screen. */
export async function consentToAll(c: ConsolePage): Promise<void> {
  for (const purpose of ['face_analysis', 'face_recognition']) {
    const button = c.page.locator(`button[data-purpose="${purpose}"]`);
    if ((await button.textContent()) === 'I consent') await button.click();
    await c.page.locator(`button[data-purpose="${purpose}"]`, { hasText: 'Withdraw' }).waitFor({ timeout: 10_000 });
  }
}
