// The console's user screens in a real browser (issue 18 item 3), with the workers running the
// real models: sign up → the upload screen asks for consent first → consent → upload the six
// sample photos through the file picker (each with its progress and answer; the analysis status
// changes live) → the gallery shows them with thumbnails and their faces, 22 in all → each photo's
// overlay draws its boxes with 68 landmark points each → the overlay hides and shows again, a face
// shows its score and person on focus and hover → one photo is deleted (gone from the gallery,
// which shows the API's answer) → a photo dropped on the zone uploads too → the account is erased,
// its receipt shown and downloaded, and the session ends. axe-core runs on every screen; nothing
// leaves the server and no script error happens.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { browserAvailable, launchBrowser, type Browser } from '../support/browser.js';
import { consentToAll, openConsole, PASSWORD, signUpInConsole, type ConsolePage } from '../support/console.js';
import { call } from '../support/http.js';

const available = browserAvailable('console-user');
const ANALYSIS_MS = 180_000;
const EMAIL = 'gallery@example.com';

let t: TestApp;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('console_user', {}, {}, { workers: true });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const nav = (c: ConsolePage, name: string) => c.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();

/** On a photo's screen: the number of face boxes, and the landmark points of each face. */
async function overlayCounts(c: ConsolePage): Promise<{ boxes: number; points: number[] }> {
  return c.page.evaluate<{ boxes: number; points: number[] }>(`({
    boxes: document.querySelectorAll('[data-face-overlay] [data-face-box]').length,
    points: [...document.querySelectorAll('[data-face-overlay] [data-face]')].map((g) => g.querySelectorAll('[data-landmark]').length),
  })`);
}

describe.skipIf(!available)('the console user screens', () => {
  it('uploads the six samples, shows their 22 faces with 68 landmarks each, deletes one, and erases the account with a receipt', { timeout: 420_000 }, async () => {
    const c = await openConsole(browser!, t.baseUrl);
    const { page } = c;
    await signUpInConsole(c, EMAIL, 'Gallery User');

    // Without face_analysis consent the upload screen says so and links to the consent screen.
    await nav(c, 'Upload');
    await c.screen('Upload', 'console-upload-no-consent');
    await page.locator('[data-problem="consent_required"]').getByRole('link', { name: 'give it on the consent screen' }).click();
    await c.screen('Consent');
    await consentToAll(c);

    // Upload: the picker (labelled, a native input) takes the six files at once.
    await nav(c, 'Upload');
    await c.screen('Upload', 'console-upload');
    await page.getByLabel('Choose photos').setInputFiles(SAMPLES);
    await page.locator('[data-upload]').nth(5).waitFor();
    await expect.poll(() => page.locator('[data-upload="accepted"]').count(), { timeout: 60_000 }).toBe(6);
    // The badges change live (myImages) from pending to analysed.
    await expect.poll(() => page.locator('[data-upload] [data-status="analyzed"]').count(), { timeout: ANALYSIS_MS, interval: 500 }).toBe(6);
    await c.screen('Upload', 'console-upload-analysed');

    // Gallery: the home screen; six cards, thumbnails loaded, 22 faces by their badges.
    await nav(c, 'Gallery');
    await c.screen('Gallery');
    const cards = page.locator('.gallery-card');
    await expect.poll(() => cards.count()).toBe(6);
    await expect.poll(() => page.locator('.gallery-card [data-thumbnail="loaded"] img').count(), { timeout: 30_000 }).toBe(6);
    const faceCounts: number[] = [];
    for (const badge of await page.locator('.gallery-card [data-status="analyzed"]').all()) faceCounts.push(Number(await badge.getAttribute('data-face-count')));
    expect(faceCounts.reduce((a, b) => a + b, 0)).toBe(22);
    expect(await page.evaluate<number>(`performance.getEntriesByName('gallery-ready').length`)).toBeGreaterThan(0);
    await c.screen('Gallery', 'console-gallery');

    // Each photo's overlay: its boxes, 68 points each; 22 boxes over the six.
    const filenames = await cards.locator('.filename').allTextContents();
    expect([...filenames].sort()).toEqual(SAMPLES.map((s) => path.basename(s)).sort());
    let boxes = 0;
    let withFaces: { name: string; boxes: number } | undefined;
    for (const name of filenames) {
      await page.getByRole('link', { name }).click();
      await c.screen(name, name === filenames[0] ? 'console-photo' : undefined);
      await page.locator('.figure img').waitFor();
      const counts = await overlayCounts(c);
      expect(counts.points, name).toEqual(Array.from({ length: counts.boxes }, () => 68));
      boxes += counts.boxes;
      if (counts.boxes > 1 && !withFaces) withFaces = { name, boxes: counts.boxes };
      await page.getByRole('link', { name: 'Back to the gallery' }).click();
      await c.screen('Gallery');
    }
    expect(boxes).toBe(22);

    // One of its faces becomes the person "Ada Lovelace" (over the API, as the people screens would).
    const token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: EMAIL, password: PASSWORD } })).body.accessToken;
    const imageId = ((await page.getByRole('link', { name: withFaces!.name }).getAttribute('href')) ?? '').replace('#/images/', '');
    const faceId = (await call<{ faces: { faceId: string }[] }>(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token })).body.faces[1]!.faceId;
    const person = await call<{ personId: string; position: string }>(t.baseUrl, 'POST', '/v1/people', { token, body: { name: 'Ada Lovelace', faceIds: [faceId] } });
    expect(person.status).toBe(201);
    expect((await call(t.baseUrl, 'GET', `/v1/people/${person.body.personId}?consistentWith=${person.body.position}`, { token })).status).toBe(200);

    // The photo: the overlay hides and shows again; focusing or hovering a face shows its score and person.
    await page.getByRole('link', { name: withFaces!.name }).click();
    await c.screen(withFaces!.name);
    const toggle = page.getByLabel('Show the face overlay');
    await toggle.uncheck();
    expect((await overlayCounts(c)).boxes).toBe(0);
    await c.screen(withFaces!.name, 'console-photo-overlay-off');
    await toggle.check();
    expect((await overlayCounts(c)).boxes).toBe(withFaces!.boxes);
    await page.locator('[data-face]').first().focus();
    await expect.poll(() => page.locator('.active-face').textContent()).toMatch(/^Face 1: score 0\.\d{3}, /);
    await page.locator(`[data-face="${faceId}"]`).hover();
    await expect.poll(() => page.locator('.active-face').textContent()).toMatch(/^Face 2: score 0\.\d{3}, Ada Lovelace$/);
    expect(await page.getByRole('cell', { name: 'Ada Lovelace' }).count()).toBe(1);
    await c.screen(withFaces!.name, 'console-photo-face');

    // Delete it: confirmation, then the gallery without it, saying what the API answered.
    await page.getByRole('button', { name: 'Delete this photo' }).click();
    await c.screen(withFaces!.name, 'console-photo-delete-confirm');
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await c.screen('Gallery');
    await page.locator('[data-deleted]').waitFor();
    expect(await page.locator('[data-deleted]').textContent()).toContain(`${withFaces!.name} is deleted`);
    await expect.poll(() => cards.count()).toBe(5);
    expect(await cards.locator('.filename').allTextContents()).not.toContain(withFaces!.name);
    await c.screen('Gallery', 'console-gallery-after-delete');

    // A photo dropped on the zone is uploaded too (a face-less one: analysed, no faces).
    await nav(c, 'Upload');
    await c.screen('Upload');
    const jpeg = (await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).jpeg().toBuffer()).toString('base64');
    const dropped = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob('${jpeg}'), (ch) => ch.charCodeAt(0))], 'dropped.jpg', { type: 'image/jpeg' }));
      return dt;
    })()`);
    await page.locator('[data-dropzone]').dispatchEvent('drop', { dataTransfer: dropped });
    await page.locator('[data-upload="accepted"][data-filename="dropped.jpg"] [data-status="analyzed"][data-face-count="0"]').waitFor({ timeout: ANALYSIS_MS });
    await c.screen('Upload', 'console-upload-dropped');

    // The account: erase it; the receipt is shown and downloaded; then the session ends.
    await nav(c, 'Account');
    await c.screen('Account', 'console-account');
    const erase = page.getByRole('button', { name: 'Erase my account' });
    expect(await erase.isDisabled()).toBe(true);
    await page.getByLabel('I understand that this erases my account and all my photos for good').check();
    await erase.click();
    await page.locator('[data-erasure="completed"]').waitFor({ timeout: 60_000 });
    const claims = JSON.parse((await page.locator('[data-receipt-claims]').textContent()) ?? '') as { id: string; scope: string; completedAt: string };
    expect(claims.scope).toBe('account');
    expect(claims.completedAt).toMatch(/^\d{4}-/);
    await c.screen('Account', 'console-account-erased');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the receipt' }).click()]);
    const downloaded = JSON.parse(await readFile((await file.path()) ?? '', 'utf8')) as { erasureId: string; status: string; receipt: string };
    expect(downloaded.status).toBe('completed');
    expect(downloaded.erasureId).toBe(claims.id);
    expect(downloaded.receipt.split('.')).toHaveLength(3);
    expect(downloaded.receipt).toBe(await page.locator('[data-receipt]').textContent());
    await page.getByRole('button', { name: 'End the session' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();

    c.assertClean();
    await page.close();
  });
});
