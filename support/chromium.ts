// Debian's chromium driven by playwright-core (browser tests and the console bench): a fresh
// profile per launch and the flags that keep it quiet on a closed network (without the
// background-networking ones it floods a network it cannot reach).

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM);

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { bypassCSP?: boolean } = {}): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'facetrail-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 860 },
    // axe-core is injected by evaluate(), which a page's CSP does not govern; bypassCSP stays off
    // unless asked, so the console is tested under the CSP it ships with.
    bypassCSP: opts.bypassCSP ?? false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
