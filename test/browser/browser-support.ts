import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); Playwright's own browser download is not used. */
export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** Screenshots and printed PDFs of the runs (git-ignored). */
export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'browser');

/** Debian's Chromium (.ci/run installs it); without it the browser tests fail, they never pass silently. */
export async function launchBrowser(): Promise<Browser> {
  if (!HAS_CHROMIUM) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** A context that lets the tests inject axe-core (the pages' CSP would refuse it otherwise). */
export function axeContext(browser: Browser, options: { width?: number; javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  return browser.newContext({
    bypassCSP: true,
    viewport: { width: options.width ?? 1024, height: 800 },
    javaScriptEnabled: options.javaScriptEnabled ?? true,
  });
}

const AXE_SOURCE = require.resolve('axe-core/axe.min.js');

/** The WCAG 2.1 A and AA violations axe-core finds on the page as it is now. */
export async function axeViolations(page: Page): Promise<{ id: string; help: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  // Runs in the page (a string: the test program has no DOM types).
  const results = (await page.evaluate(
    "window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as AxeResults;
  return results.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Layout at a phone's width: sideways overflow, and the smallest font size of any visible text. */
export async function phoneLayout(page: Page): Promise<{ overflow: number; smallestText: number; smallestElement: string }> {
  return page.evaluate(PHONE_LAYOUT) as Promise<{ overflow: number; smallestText: number; smallestElement: string }>;
}

/** Runs in the page: visually hidden (screen-reader only) text has no size to read and is left out. */
const PHONE_LAYOUT = `(() => {
  const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  let smallest = Infinity;
  let where = '';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    if ((node.textContent || '').trim() === '') continue;
    const element = node.parentElement;
    if (element === null) continue;
    const rect = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (rect.width <= 1 || rect.height <= 1 || style.visibility === 'hidden' || style.display === 'none') continue;
    const size = parseFloat(style.fontSize);
    if (size < smallest) {
      smallest = size;
      where = element.tagName.toLowerCase() + '.' + element.className + ': ' + (node.textContent || '').trim().slice(0, 40);
    }
  }
  return { overflow, smallestText: smallest, smallestElement: where };
})()`;

/** Bytes the page loaded (document and everything it fetched), counted from the responses' bodies. */
export function trackWeight(page: Page): () => Promise<number> {
  const sizes: Promise<number>[] = [];
  page.on('response', (response) => {
    sizes.push(
      response
        .body()
        .then((b) => b.length)
        .catch(() => 0),
    );
  });
  return async () => (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
}

/** Console messages about refused content (CSP), collected for a page. */
export function collectCspErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(message.text());
  });
  return errors;
}

interface Focused {
  id: string;
  type: string;
  label: string;
  checked: string;
}

/**
 * What has the keyboard focus: its id and type and, for a radio, the id of its option and of
 * the option checked in its group (the form library marks the checked option on its label).
 */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el) return { id: '', type: '', label: '', checked: '' };
  const label = el.closest('label');
  let checked = '';
  if (el.type === 'radio' && label && label.id) {
    const group = label.id.split('|')[0];
    const on = document.querySelector('label[id^="' + group + '|"].ant-radio-wrapper-checked');
    checked = on ? on.id : '';
  }
  return { id: el.id || '', type: el.type || el.tagName.toLowerCase(), label: label ? label.id : '', checked };
})()`;

/**
 * Tabs through the form and answers every question with the keyboard alone: each question is a
 * group of radio buttons (yes/no questions and the short choice lists alike), answered with the
 * arrow keys until the option whose code is given in `answers` for that linkId is checked; a
 * question not listed gets its "No" option. Returns the linkIds answered, in the order of the
 * form, once the "Send my answers" button has the focus.
 */
export async function answerWithKeyboard(page: Page, answers: Record<string, string>): Promise<string[]> {
  const answered: string[] = [];
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(FOCUSED)) as Focused;
    if (focused.id === 'submit-answers') return answered;
    if (focused.type !== 'radio' || focused.label === '') continue;
    const linkId = focused.label.split('/')[0];
    if (answered.includes(linkId)) continue;
    // An option's id ends with |code (a coded option) or |true / |false (a yes/no question).
    const wanted = linkId in answers ? [`|${answers[linkId]}`] : ['|no', '|false'];
    let now = focused;
    for (let step = 0; step < 8 && !wanted.some((w) => now.checked.endsWith(w)); step++) {
      await page.keyboard.press('ArrowLeft');
      now = (await page.evaluate(FOCUSED)) as Focused;
    }
    if (!wanted.some((w) => now.checked.endsWith(w))) {
      throw new Error(`The arrow keys never checked ${wanted.join(' or ')} in ${linkId} (checked: ${now.checked || 'nothing'})`);
    }
    answered.push(linkId);
  }
  throw new Error(`The keyboard never reached the submit button (answered ${answered.join(', ')})`);
}
