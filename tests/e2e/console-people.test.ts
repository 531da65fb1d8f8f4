// The console's people screens in a real browser (issue 18), over the real models and the
// automatic people reactor (PEOPLE_MIN_FACES=2): without face_recognition consent the screen says
// why and links the consent screen; a photo of one face and its mirror image become ONE person
// holding both faces, shown live (no reload); it is renamed in the console; a second person is
// merged into it and the merge undone from its history, then merged again and undone with the Undo
// the screen offers, the screen checked after each step; a photo dropped on the search zone, and
// one picked with the file input, find their people. Each screen passes axe-core; nothing leaves
// the server.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIR } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { browserAvailable, launchBrowser, type Browser } from '../support/browser.js';
import { consentToAll, openConsole, PASSWORD, signUpInConsole, type ConsolePage } from '../support/console.js';
import { call } from '../support/http.js';
import { uploadOverHttp } from '../support/upload-over-http.js';

const available = browserAvailable('console-people');

let t: TestApp;
let browser: Browser | undefined;

/** One face of sample 1 (the region holds exactly one) and its mirror image. */
async function onePersonPhotos(region: { left: number; top: number; width: number; height: number }): Promise<[Buffer, Buffer]> {
  const crop = sharp(`${SAMPLE_DIR}/sample1.jpg`).extract(region);
  return [await crop.clone().jpeg().toBuffer(), await crop.clone().flop().jpeg().toBuffer()];
}

async function upload(token: string, bytes: Buffer, name: string): Promise<string> {
  return (await uploadOverHttp(t.baseUrl, token, bytes, name)).imageId;
}

/** The person card holding a face of each of these images, once it is on screen with their crops drawn. */
async function personWith(c: ConsolePage, imageIds: string[]) {
  let card = c.page.locator('li.person');
  for (const id of imageIds) card = card.filter({ has: c.page.locator(`[data-image-id="${id}"] svg`) });
  await card.first().waitFor({ timeout: 120_000 });
  return card;
}

const cards = (c: ConsolePage) => c.page.locator('ul.people > li.person');

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('console_people', { PEOPLE_MIN_FACES: '2' }, {}, { workers: true });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe.skipIf(!available)('the people screens', () => {
  it('groups a face and its mirror into one person live, renames, merges and undoes the merge, and searches by photo', { timeout: 300_000 }, async () => {
    const email = 'people@example.com';
    const c = await openConsole(browser!, t.baseUrl);
    await signUpInConsole(c, email, 'People User');

    // Without face_recognition consent: the reason, and the way to the consent screen.
    await c.page.goto(`${t.baseUrl}/#/people`);
    await c.screen('People', 'console-people-no-consent');
    await c.page.getByRole('heading', { name: 'Face recognition is off' }).waitFor();
    await c.page.getByRole('link', { name: 'Give it on the Consent screen' }).click();
    await c.screen('Consent');
    await consentToAll(c);

    await c.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
    await c.screen('People', 'console-people-empty');
    await c.page.getByTestId('no-people').waitFor();

    // Setup over the API, as the same user (the console's own session stays the browser's).
    const login = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken;
    const [ada, adaMirrored] = await onePersonPhotos({ left: 250, top: 150, width: 500, height: 600 });
    const [other, otherMirrored] = await onePersonPhotos({ left: 1330, top: 20, width: 500, height: 600 });
    const adaImages = [await upload(token, ada, 'ada.jpg'), await upload(token, adaMirrored, 'ada-mirrored.jpg')];

    // The reactor makes ONE person of the two faces; the screen shows it without a reload.
    const adaCard = await personWith(c, adaImages);
    await expect.poll(() => cards(c).count()).toBe(1);
    expect(await adaCard.locator('[data-face-id]').count()).toBe(2);
    const adaId = (await adaCard.getAttribute('data-person-id'))!;
    await c.screen('People', 'console-people-one-person');

    // Rename it in the console.
    await adaCard.getByLabel('Name', { exact: true }).fill('Ada');
    await adaCard.getByRole('button', { name: 'Rename' }).click();
    await c.page.getByRole('status').filter({ hasText: 'to Ada.' }).waitFor();
    await adaCard.getByRole('heading', { name: /^Ada/ }).waitFor();
    await c.screen('People', 'console-people-renamed');

    // A second person, then merged into Ada.
    const otherImages = [await upload(token, other, 'other.jpg'), await upload(token, otherMirrored, 'other-mirrored.jpg')];
    const otherCard = await personWith(c, otherImages);
    const otherId = (await otherCard.getAttribute('data-person-id'))!;
    await expect.poll(() => cards(c).count()).toBe(2);
    await otherCard.getByLabel('Merge into', { exact: true }).selectOption(adaId);
    await otherCard.getByRole('button', { name: 'Merge' }).click();
    await c.page.getByRole('status').filter({ hasText: 'into Ada.' }).waitFor();
    await personWith(c, [...adaImages, ...otherImages]);
    expect(await cards(c).count()).toBe(1);
    expect(await c.page.locator(`li.person[data-person-id="${otherId}"]`).count()).toBe(0);
    await c.screen('People', 'console-people-merged');

    // Undo the merge from Ada's history: back to the step before the merge.
    await c.page.getByRole('link', { name: 'Ada', exact: true }).click();
    await c.screen('Ada', 'console-people-person');
    await c.page.getByRole('heading', { name: '4 faces' }).waitFor();
    const absorbed = c.page.locator('ol.history > li[data-type="PersonAbsorbed"]');
    await absorbed.waitFor();
    const before = Number(await absorbed.getAttribute('data-revision')) - 1;
    await c.page.locator(`ol.history > li[data-revision="${before}"]`).getByRole('button', { name: /^Undo back to here/ }).click();
    await c.page.getByRole('heading', { name: '2 faces' }).waitFor();
    await c.page.locator('ol.history > li[data-type="PersonRestored"], ol.history > li[data-type="FacesReleased"]').first().waitFor();
    await c.screen('Ada', 'console-people-undone');
    await c.page.getByRole('link', { name: 'All people' }).click();
    await c.screen('People');
    await personWith(c, adaImages);
    await personWith(c, otherImages);
    expect(await cards(c).count()).toBe(2);

    // Merged again, and undone with the Undo the screen offers right after the merge.
    await otherCard.getByLabel('Merge into', { exact: true }).selectOption(adaId);
    await otherCard.getByRole('button', { name: 'Merge' }).click();
    await personWith(c, [...adaImages, ...otherImages]);
    await c.page.locator('.people-status').getByRole('button', { name: 'Undo' }).click();
    await c.page.getByRole('status').filter({ hasText: 'Undone: Merged' }).waitFor();
    await personWith(c, otherImages);
    await expect.poll(() => cards(c).count()).toBe(2);
    expect(await c.page.locator(`li.person[data-person-id="${adaId}"] [data-face-id]`).count()).toBe(2);

    // Search: a photo dropped on the zone finds Ada's two faces; one picked with the file input finds the other person.
    const dropped = await c.page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); dt.items.add(new File([Uint8Array.from(atob(${JSON.stringify(ada.toString('base64'))}), (ch) => ch.charCodeAt(0))], 'query.jpg', { type: 'image/jpeg' })); return dt; })()`,
    );
    await c.page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
    await c.page.locator('.searched svg').waitFor({ timeout: 60_000 });
    const matches = c.page.getByRole('list', { name: 'Matches' }).getByRole('listitem');
    await expect.poll(() => matches.count()).toBe(2);
    expect(await matches.getByRole('link', { name: 'Ada' }).count()).toBe(2);
    await c.page.locator('.matches svg').nth(1).waitFor();
    await c.screen('People', 'console-people-search');

    await c.page.getByLabel('Photo to search with').setInputFiles({ name: 'other.jpg', mimeType: 'image/jpeg', buffer: otherMirrored });
    await c.page.getByRole('link', { name: `Unnamed ${otherId.slice(0, 8)}` }).first().waitFor({ timeout: 60_000 });
    expect(await matches.getByRole('link', { name: 'Ada' }).count()).toBe(0);

    c.assertClean();
    await c.page.close();
  });
});
