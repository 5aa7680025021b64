/**
 * The patient pages in a real browser (Debian's Chromium driven by playwright-core): the
 * handout and the patient's plan, each checked with axe-core (WCAG 2.1 A/AA), at a phone's
 * width, printed to PDF, and photographed into artifacts/browser/.
 */
import type { DocumentReference } from 'fhir/r4';
import type { Browser } from 'playwright-core';
import { parseHandoutHtml } from '../../src/web/patient/handout';
import { pdfText } from '../support/pdf-text';
import { startSecureServer, type SecureServer } from '../integration/security/security-helpers';
import { createPatientCase, makeLink } from '../integration/web/patient-fixtures';
import { artifactPath, axeContext, axeViolations, collectCspErrors, launchBrowser, phoneLayout, trackWeight } from './browser-support';

let secure: SecureServer;
let browser: Browser;
let origin: string;
let sections: { id: string; heading: string }[];

/** The link as the patient's browser opens it: this server's origin, the token in the fragment. */
function onThisServer(link: string): string {
  const url = new URL(link);
  return `${origin}${url.pathname}${url.hash}`;
}

describe('patient pages in Chromium', () => {
  beforeAll(async () => {
    secure = await startSecureServer();
    origin = secure.server.origin;
    browser = await launchBrowser();
    const doc = (await secure.as(undefined)('/DocumentReference/foraminotomy-handout')).body as DocumentReference;
    const html = Buffer.from(doc.content.find((c) => c.attachment.contentType === 'text/html')!.attachment.data!, 'base64').toString('utf8');
    sections = parseHandoutHtml(html).sections;
  });
  afterAll(async () => {
    await browser?.close();
    await secure?.close();
  });

  describe('the handout', () => {
    test('has no WCAG 2.1 A/AA violation, on a desktop and at 375 px', async () => {
      for (const width of [1024, 375]) {
        const context = await axeContext(browser, { width });
        const page = await context.newPage();
        await page.goto(`${origin}/education/foraminotomy`);
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: artifactPath(`handout-${width}.png`), fullPage: width === 375 });
        await context.close();
      }
    });

    test('at 375 px nothing scrolls sideways and no text is smaller than 16 px', async () => {
      const context = await axeContext(browser, { width: 375 });
      const page = await context.newPage();
      await page.goto(`${origin}/education/foraminotomy`);
      const layout = await phoneLayout(page);
      expect(layout.overflow).toBeLessThanOrEqual(0);
      expect(layout.smallestText).toBeGreaterThanOrEqual(16);
      await context.close();
    });

    test('weighs less than 150 KB with everything it loads, and loads nothing from elsewhere', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const weight = trackWeight(page);
      await page.goto(`${origin}/education/foraminotomy`, { waitUntil: 'load' });
      const bytes = await weight();
      expect(bytes).toBeGreaterThan(5_000);
      expect(bytes).toBeLessThan(150 * 1024);
      expect(requested.every((u) => u.startsWith(origin))).toBe(true);
      await context.close();
    });

    test('works without script, and keeps to its own CSP', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      const cspErrors = collectCspErrors(page);
      await page.goto(`${origin}/education/foraminotomy`);
      expect(await page.locator('.handout-section h2[id]').count()).toBe(sections.length);
      await page.getByRole('link', { name: sections[2].heading }).click();
      expect(page.url()).toBe(`${origin}/education/foraminotomy#${sections[2].id}`);
      expect(cspErrors).toEqual([]);
      await context.close();
    });

    test('the "not found" and "no guide" pages have no WCAG 2.1 A/AA violation', async () => {
      const context = await axeContext(browser);
      const page = await context.newPage();
      for (const path of ['/education/no-such-plan', `/education?procedure=${encodeURIComponent('http://www.ama-assn.org/go/cpt|99999')}`, '/education']) {
        await page.goto(`${origin}${path}`);
        expect(await axeViolations(page)).toEqual([]);
      }
      await context.close();
    });

    test('prints on A4 and Letter with every section and without the navigation', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/education/foraminotomy`);
      for (const format of ['A4', 'Letter']) {
        const path = artifactPath(`handout-print-${format}.pdf`);
        const pdf = await page.pdf({ format, path, printBackground: false });
        const { text } = await pdfText(new Uint8Array(pdf));
        for (const s of sections) expect(text).toContain(s.heading);
        expect(text).toContain('Back pain may come back some time in the future.');
        expect(text).not.toContain('Skip to main content');
        expect(text).not.toContain('Download this guide as a PDF');
      }
      await context.close();
    });
  });

  describe('the plan', () => {
    test('shows the dated checklist for the link, today\'s and the next step marked, steps linked to the handout; the token leaves the address bar', async () => {
      const admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
      const c = await createPatientCase(secure, admin, { family: 'Garcia' });
      const link = await makeLink(admin, c.taskId);
      for (const width of [1024, 375]) {
        const context = await axeContext(browser, { width });
        const page = await context.newPage();
        await page.goto(onThisServer(link.plan));
        await page.locator('.checklist').first().waitFor();
        expect(page.url()).toBe(`${origin}/my/plan`);
        expect(await page.locator('.checklist__item--next').count()).toBe(1);
        expect(await page.locator('.tag--next').innerText()).toBe('Next step');
        const more = page.locator('.checklist__more a').first();
        expect(await more.getAttribute('href')).toMatch(/^\/education\/foraminotomy#[a-z-]+$/);
        expect(await axeViolations(page)).toEqual([]);
        if (width === 375) {
          const layout = await phoneLayout(page);
          expect(layout.overflow).toBeLessThanOrEqual(0);
          expect(layout.smallestText).toBeGreaterThanOrEqual(16);
        }
        await page.screenshot({ path: artifactPath(`plan-${width}.png`), fullPage: width === 375 });
        if (width === 1024) {
          const { text } = await pdfText(new Uint8Array(await page.pdf({ format: 'A4', path: artifactPath('plan-print-A4.pdf') })));
          expect(text).toContain('Have an MRI or CT scan');
          expect(text).not.toContain('Skip to main content');
        }
        await context.close();
      }
    });

    test('a forged link shows "this link has expired — contact your care team" and no data, accessibly', async () => {
      const context = await axeContext(browser);
      const page = await context.newPage();
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url');
      const claims = Buffer.from(JSON.stringify({ patient_link_task: 'x', patient: 'y', exp: 4102444800 })).toString('base64url');
      await page.goto(`${origin}/my/plan#${header}.${claims}.c2lnbmF0dXJl`);
      await page.locator('#link-expired').waitFor({ state: 'visible' });
      expect(await page.locator('#link-expired').innerText()).toContain('This link has expired — contact your care team');
      expect(await page.locator('.checklist').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: artifactPath('link-expired.png') });
      await context.close();
    });

    test('keeps to its own CSP', async () => {
      const admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
      const c = await createPatientCase(secure, admin, { family: 'Hughes' });
      const link = await makeLink(admin, c.taskId);
      const context = await browser.newContext();
      const page = await context.newPage();
      const cspErrors = collectCspErrors(page);
      await page.goto(onThisServer(link.plan));
      await page.locator('.checklist').first().waitFor();
      expect(cspErrors).toEqual([]);
      await context.close();
    });
  });
});
