// Real-browser tests (issue 18): Debian's chromium driven by playwright-core, a fresh profile per
// launch, the flags that keep it quiet on a closed network; an axe-core check per screen and the
// screenshots under tests/screenshots/ (git-ignored). Without a chromium binary the tests skip,
// saying why — except where FACETRAIL_BROWSER_TESTS=required (CI), where that is a failure.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CHROMIUM, chromiumInstalled, launchBrowser as launch, type Browser } from '../../support/chromium.js';

export type { Browser };
export const SCREENSHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

/** Whether this file's browser tests run; prints why not (or throws where they are required). */
export function browserAvailable(label: string): boolean {
  const available = chromiumInstalled();
  if (!available && process.env.FACETRAIL_BROWSER_TESTS === 'required') throw new Error(`no chromium at ${CHROMIUM}, and the browser tests are required here`);
  if (!available) console.log(`${label}: skipped, no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  return available;
}

export async function launchBrowser(opts: { bypassCSP?: boolean } = {}): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return launch(opts);
}

/** What a page did that a test should fail on: requests leaving the server, script errors. */
export function watchPage(page: Page, baseUrl: string): { foreign: string[]; errors: string[] } {
  const seen = { foreign: [] as string[], errors: [] as string[] };
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(baseUrl) && !url.startsWith(baseUrl.replace(/^http/, 'ws')) && !url.startsWith('data:') && !url.startsWith('blob:')) seen.foreign.push(url);
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core over the page as it is now: the serious and critical violations (a test expects none). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // The source as the evaluated expression itself (CDP evaluation is outside the page's CSP; an
  // eval() inside the page would not be).
  // Strings, not functions: the tests compile without the DOM library.
  if (!(await page.evaluate<boolean>(`'axe' in window`))) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}
