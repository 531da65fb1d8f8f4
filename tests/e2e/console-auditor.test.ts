// The console's auditor screens in a real browser (issue 18), with real workers and models: the
// timeline shows a user's uploads live (no reload) and holds events back while paused; an image
// re-analysed by an admin shows both analyses on its history screen as the slider moves (keyboard);
// the Verification screen verifies an event's inclusion proof and two checkpoints' consistency by
// hashing in the browser; the access log lists the auditor's reads of the owner's faces. axe-core
// on every screen; nothing leaves the server; no script error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorToPosition, positionToCursor } from '../../src/eventstore/position.js';
import { NOTARY_CONSUMER } from '../../src/projections/notary/notary.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD as AUDIT_PASSWORD, tokenFor, type FeedEvent } from '../support/audit.js';
import { browserAvailable, launchBrowser, type Browser } from '../support/browser.js';
import { registerConsenting } from '../support/consent.js';
import { openConsole, signInToConsole, type ConsolePage } from '../support/console.js';
import { call } from '../support/http.js';
import { visibleHead } from '../support/visible-head.js';
import { uploadOverHttp } from '../support/upload-over-http.js';

const available = browserAvailable('console-auditor');

let t: TestApp;
let browser: Browser | undefined;
let auditor: { userId: string; token: string };
let admin: { userId: string; token: string };
let owner: { userId: string; token: string };

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('console_auditor', { NOTARY_CHECKPOINT_EVERY_EVENTS: '8', NOTARY_CHECKPOINT_EVERY_MS: '100' }, {}, { workers: true });
  auditor = await tokenFor(t, 'console-auditor@example.com', 'auditor');
  admin = await tokenFor(t, 'console-admin@example.com', 'admin');
  owner = await registerConsenting(t.baseUrl, { email: 'console-owner@example.com', password: 'a perfectly fine password', displayName: 'Photo Owner' });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function upload(sample: number): Promise<string> {
  return (await uploadOverHttp(t.baseUrl, owner.token, await readSample(sample), `sample${sample}.jpg`)).imageId;
}

async function streamOf(imageId: string): Promise<FeedEvent[]> {
  const res = await call<{ events: FeedEvent[] }>(t.baseUrl, 'GET', `/v1/audit/streams/image-${imageId}`, { token: auditor.token });
  expect(res.status).toBe(200);
  return res.body.events;
}

const row = (c: ConsolePage, type: string, imageId: string) => c.page.locator(`li[data-type="${type}"][data-stream="image-${imageId}"]`);

/** Until the latest signed checkpoint covers `eventId` (the notary signs a quiet tree after 100 ms). */
async function notarised(eventId: string, position: string): Promise<void> {
  expect(await t.runtime.checkpoints.waitFor([NOTARY_CONSUMER], cursorToPosition(position), 30_000)).toBe(true);
  for (;;) {
    const proof = await call(t.baseUrl, 'GET', `/v1/audit/events/${eventId}/proof`, { token: auditor.token });
    if (proof.status === 200) return;
    expect([404, 409]).toContain(proof.status);
    await t.runtime.checkpoints.waitFor([NOTARY_CONSUMER], { commit: 1n << 62n, prepare: 0n }, 50); // a bounded wait on the checkpoint channel
  }
}

describe.skipIf(!available)('the console for auditors', () => {
  it('shows uploads live, both analyses of a re-analysed image, verified proofs and the access log', { timeout: 300_000 }, async () => {
    const c = await openConsole(browser!, t.baseUrl);
    await signInToConsole(c, 'console-auditor@example.com', AUDIT_PASSWORD);
    await c.page.getByRole('link', { name: 'Timeline' }).click();
    await c.screen('Timeline');
    await c.page.locator('[data-phase="live"]').waitFor();

    // Uploads by a user appear at the top, live, announced.
    const [first, second] = [await upload(1), await upload(3)];
    await row(c, 'ImageUploaded', first).waitFor();
    await row(c, 'ImageUploaded', second).waitFor();
    const types = await c.page.evaluate<(string | null)[]>(`[...document.querySelectorAll("li.au-event")].map((li) => li.getAttribute("data-type"))`);
    expect(types.indexOf('ImageUploaded')).toBeLessThan(types.indexOf('UserRegistered'));
    await expect.poll(() => c.page.locator('p.au-announce').textContent()).toMatch(/new events since you opened the timeline/);
    await row(c, 'ImageAnalyzed', first).waitFor({ timeout: 150_000 });
    await c.screen('Timeline', 'console-audit-timeline');

    // Paused: an admin's re-analysis is held back; resumed: it arrives, then its result.
    const requested = await row(c, 'ImageAnalysisRequested', first).count();
    await c.page.getByRole('button', { name: 'Pause live updates' }).click();
    await c.page.locator('[data-phase="paused"]').waitFor();
    const re = await call<{ position: string }>(t.baseUrl, 'POST', `/v1/images/${first}/reanalyze`, { token: admin.token });
    expect(re.status).toBe(202);
    expect(await row(c, 'ImageAnalysisRequested', first).count()).toBe(requested);
    await c.page.getByRole('button', { name: 'Resume live updates' }).click();
    await expect.poll(() => row(c, 'ImageAnalysisRequested', first).count(), { timeout: 20_000 }).toBe(requested + 1);
    await expect.poll(() => row(c, 'ImageAnalyzed', first).count(), { timeout: 150_000, interval: 200 }).toBe(2);

    // Filters (kept in the URL): one image's stream only; Clear shows everything again.
    await c.page.getByLabel('Stream prefix').fill(`image-${second}`);
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await row(c, 'ImageUploaded', second).waitFor();
    expect(new URL(c.page.url()).hash).toContain(`stream=image-${second}`);
    const streams = await c.page.evaluate<(string | null)[]>(`[...document.querySelectorAll("li.au-event")].map((li) => li.getAttribute("data-stream"))`);
    expect(new Set(streams)).toEqual(new Set([`image-${second}`]));
    await c.page.getByRole('button', { name: 'Clear' }).click();
    await row(c, 'ImageUploaded', first).waitFor();

    // The image's history: the slider (keyboard) goes through its positions; each analysis shows its own result.
    const history = await streamOf(first);
    const analyses = history.filter((e) => e.type === 'ImageAnalyzed');
    expect(analyses).toHaveLength(2);
    await row(c, 'ImageUploaded', first).getByRole('link', { name: 'Image history' }).click();
    await c.screen('Image history');
    await expect.poll(() => c.page.locator('ol.au-steps li').count()).toBe(history.length);
    const slider = c.page.getByLabel("Position in the image's history");
    await slider.focus();
    await c.page.keyboard.press('Home');
    const then = c.page.locator('section.au-then');
    await c.page.locator('section.au-then[data-revision="0"][data-status="pending"]').waitFor();
    expect(await then.locator('[data-fact="faces"]').textContent()).toBe('not analysed yet');
    expect(await then.locator('rect.au-face-box').count()).toBe(0);
    let at = 0;
    for (const analysis of analyses) {
      const index = history.indexOf(analysis);
      for (; at < index; at++) await c.page.keyboard.press('ArrowRight');
      await c.page.locator(`section.au-then[data-revision="${analysis.revision}"][data-status="analyzed"]`).waitFor();
      const faces = (analysis.data as { faces: unknown[]; model: { name: string } }).faces.length;
      expect(faces).toBeGreaterThan(0);
      expect(await then.locator('[data-fact="faces"]').textContent()).toBe(String(faces));
      expect(await then.locator('[data-fact="model"]').textContent()).toContain((analysis.data as { model: { name: string } }).model.name);
      expect(await then.locator('[data-fact="analyzedAt"]').getAttribute('data-analyzed-at')).toBe(analysis.recordedAt);
      await expect.poll(() => then.locator('rect.au-face-box').count()).toBe(faces);
      await c.page.locator('section.au-then img').waitFor();
      if (analysis === analyses[0]) await c.screen('Image history', 'console-audit-image-history');
    }

    // Verification: the upload's inclusion proof and two checkpoints' consistency, hashed in the browser.
    const uploaded = history[0]!;
    await notarised(uploaded.id, uploaded.position);
    await c.page.getByRole('link', { name: 'Verification' }).click();
    await c.screen('Verification');
    await c.page.locator('[data-fact="signature"]', { hasText: 'valid (EdDSA' }).waitFor();
    await c.page.getByLabel('Event id').fill(uploaded.id);
    await c.page.getByRole('button', { name: 'Verify inclusion' }).click();
    const inclusion = c.page.locator('section[aria-labelledby="inclusion-title"] [data-verdict]');
    await inclusion.waitFor();
    expect(await inclusion.getAttribute('data-verdict')).toBe('verified');
    expect(await inclusion.textContent()).toContain(`ImageUploaded in image-${first}`);
    await expect.poll(() => c.page.locator('tr[data-tree-size]').count()).toBeGreaterThan(1);
    await c.page.getByRole('button', { name: 'Check consistency' }).click();
    const consistency = c.page.locator('section[aria-labelledby="consistency-title"] [data-verdict]');
    await consistency.waitFor();
    expect(await consistency.getAttribute('data-verdict')).toBe('verified');
    await c.screen('Verification', 'console-audit-verification');

    // The access log: the auditor's reads of the owner's faces, with names; filtered by accessor.
    const head = positionToCursor(await visibleHead(t.runtime.eventStore));
    const records = await call<{ items: unknown[] }>(t.baseUrl, 'GET', `/v1/audit/access?accessor=${auditor.userId}&subject=${owner.userId}&consistentWith=${head}`, { token: auditor.token });
    expect(records.body.items.length).toBeGreaterThan(0);
    await c.page.getByRole('link', { name: 'Access log' }).click();
    await c.screen('Access log');
    const mine = c.page.locator(`tr[data-accessor="${auditor.userId}"][data-subject="${owner.userId}"]`);
    await mine.first().waitFor();
    await expect.poll(() => mine.first().textContent()).toContain('console-owner@example.com');
    await c.page.getByLabel('Accessor (user id)').fill(admin.userId);
    await c.page.getByRole('button', { name: 'Apply filters' }).click();
    await c.page.getByText('No access records match.').or(c.page.locator(`tr[data-accessor="${admin.userId}"]`).first()).waitFor();
    expect(await c.page.locator(`tr[data-accessor="${auditor.userId}"]`).count()).toBe(0);
    await c.page.getByRole('button', { name: 'Clear' }).click();
    await mine.first().waitFor();
    await c.screen('Access log', 'console-audit-access-log');

    c.assertClean();
    await c.page.close();
  });
});
