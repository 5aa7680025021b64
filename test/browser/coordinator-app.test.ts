/**
 * The coordinators' worklist app in Chromium with AUTH=off: the seeded worklist in the order of
 * need, assigning and sending a patient link, the patient answering in a second browser
 * context, the answers and concerns appearing, a concern marked done, two coordinators
 * changing the same Task, axe-core on every view, keyboard-only use, and the first page of a
 * long worklist counted in FHIR requests.
 */
import type { Parameters, Task } from 'fhir/r4';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/test-server';
import { answerWithKeyboard, artifactPath, axeContext, axeViolations, collectCspErrors, launchBrowser } from './browser-support';
import { expectedOrder, seedManyPatients, seedWorklist, type ManyKind, type SeededPatient } from './coordinator-fixtures';
import { daysFromToday } from '../integration/web/patient-fixtures';

let server: TestServer;
let browser: Browser;
let seeded: SeededPatient[];

/** Opens a view of the app and waits until it has drawn it. */
async function open(context: BrowserContext, hash = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.origin}/coordinator/${hash}`);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

async function settled(page: Page): Promise<void> {
  await page.locator('body:not([aria-busy])').waitFor();
}

function seededOf(kind: SeededPatient['kind'], n = 0): SeededPatient {
  return seeded.filter((s) => s.kind === kind)[n];
}

/** The FHIR requests a page makes from now on, as `METHOD /path`. */
function countFhirRequests(page: Page): string[] {
  const requests: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/fhir/')) requests.push(`${request.method()} ${url.pathname}`);
  });
  return requests;
}

async function readTask(id: string): Promise<Task> {
  return (await server.fetch(`/Task/${id}`)).body as Task;
}

describe('the coordinator app in Chromium (AUTH=off)', () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
    seeded = await seedWorklist(server, 30);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('lists the 30 seeded patients, overdue first, then open concerns, then by procedure date, within its CSP', async () => {
    const context = await axeContext(browser, { width: 1100 });
    const page = await context.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${server.origin}/coordinator/`);
    await page.locator('#worklist').waitFor();
    const names = await page.locator('#worklist tbody th').allInnerTexts();
    expect(names).toEqual(expectedOrder(seeded));
    const statuses = await page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill('overdue'));
    expect(statuses.filter((s) => s === 'not assigned')).toHaveLength(5);
    expect(await page.locator('#worklist tbody tr').nth(5).locator('.concerns').innerText()).toBe('1 open');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('coordinator-worklist.png'), fullPage: false });
    expect(cspErrors).toEqual([]);

    // Filters: status on the page, dates in the search.
    await page.selectOption('#filter-status', 'not assigned');
    await page.locator('#filters button[type=submit]').click();
    // The list is redrawn once the search answers: wait for the filtered rows, not for any row.
    await page.waitForFunction("document.querySelectorAll('#worklist tbody tr').length === 5");
    const filtered = await page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(filtered).toEqual(Array(5).fill('not assigned'));
    await page.fill('#filter-to', seeded[9].procedureDay);
    await page.selectOption('#filter-status', '');
    await page.locator('#filters button[type=submit]').click();
    await page.waitForFunction("document.querySelectorAll('#worklist tbody tr').length === 10");
    await context.close();
  });

  test('assigns the questionnaire, the patient answers through the copied link, the concern appears and is marked done', async () => {
    const target = seededOf('not assigned', 0);
    const context = await axeContext(browser);
    const page = await open(context, `#/order/${target.orderId}`);
    expect(await page.locator('h1').innerText()).toBe(`Test ${target.family}`);
    expect(await axeViolations(page)).toEqual([]);
    // Due 7 days before the procedure by default.
    const defaultDue = new Date(Date.parse(`${target.procedureDay}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);
    expect(await page.inputValue('#assign-due')).toBe(defaultDue);
    await page.click('#assign');
    await page.getByText('Questionnaire assigned.').waitFor();
    await settled(page);
    expect(await page.locator('#assignment-status .tag').innerText()).toBe('sent');

    await page.click('#make-link');
    await page.locator('#patient-link').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const link = new URL(await page.inputValue('#patient-link'));
    // Re-sending makes a new link; the first one keeps working until it expires.
    await page.click('#make-link');
    await page.waitForFunction(`document.querySelector('#patient-link').value !== ${JSON.stringify(link.href)}`);
    expect(await page.locator('#make-link').innerText()).toBe('Create a new link');

    // The patient, in a browser of their own.
    const patientContext = await axeContext(browser);
    const patientPage = await patientContext.newPage();
    await patientPage.goto(`${server.origin}${link.pathname}${link.hash}`);
    await patientPage.locator('#form-actions').waitFor({ state: 'visible', timeout: 30_000 });
    await answerWithKeyboard(patientPage, { sex: 'female', pregnant: 'no', smoking: 'true', 'ride-home': 'yes', 'home-prepared': 'yes' });
    await patientPage.keyboard.press('Enter');
    await patientPage.waitForURL(`${server.origin}/my/thanks`);
    await patientContext.close();

    await page.goto(`${server.origin}/coordinator/#/order/${target.orderId}`);
    await page.reload();
    await page.locator('#answers').waitFor();
    expect(await page.locator('#assignment-status .tag').innerText()).toBe('completed');
    const concern = page.locator('.answer--concern');
    expect(await concern.count()).toBe(1);
    expect(await concern.getAttribute('data-link-id')).toBe('smoking');
    expect(await concern.locator('.follow-up').getAttribute('data-concern')).toBe('smoking');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('coordinator-answers.png'), fullPage: true });

    await concern.locator('textarea').fill('Called the patient: stopping two weeks before.');
    await concern.locator('.mark-done').click();
    await page.getByText('Concern marked done.').waitFor();
    await settled(page);
    const taskId = await page.locator('.answer--concern .follow-up').getAttribute('data-task');
    const followUp = await readTask(taskId!);
    expect(followUp.status).toBe('completed');
    expect(followUp.note?.[0]?.text).toBe('Called the patient: stopping two weeks before.');

    // The worklist shows the patient as completed without open concerns.
    await page.goto(`${server.origin}/coordinator/#/`);
    await page.locator('#worklist').waitFor();
    const row = page.locator(`#worklist tr[data-order="${target.orderId}"]`);
    expect(await row.getAttribute('data-status')).toBe('completed');
    expect(await row.locator('.concerns').innerText()).toBe('None');
    await context.close();
  });

  test('changes the due date, and cancels an assignment', async () => {
    const target = seededOf('sent', 1);
    const context = await axeContext(browser);
    const page = await open(context, `#/order/${target.orderId}`);
    await page.fill('#edit-due', seeded[29].procedureDay);
    await page.click('#save-due');
    await page.getByText('Due date changed').waitFor();
    expect((await readTask(target.taskId!)).executionPeriod?.end).toBe(seeded[29].procedureDay);
    await settled(page);
    await page.click('#cancel-assignment');
    await page.getByText('Assignment cancelled.').waitFor();
    expect((await readTask(target.taskId!)).status).toBe('cancelled');
    await settled(page);
    expect(await page.locator('#assignment-status .tag').innerText()).toBe('not assigned');
    await context.close();
  });

  test('two coordinators change the same concern: the second is told it changed and can reload', async () => {
    const target = seededOf('concern', 1);
    const first = await axeContext(browser);
    const second = await axeContext(browser);
    const a = await open(first, `#/order/${target.orderId}`);
    const b = await open(second, `#/order/${target.orderId}`);
    await a.locator('.follow-up .mark-done').first().click();
    await a.getByText('Concern marked done.').waitFor();
    await b.locator('.follow-up textarea').first().fill('Left a voicemail.');
    await b.locator('.follow-up .mark-done').first().click();
    const message = b.locator('#status .message--error');
    await message.waitFor();
    expect(await message.innerText()).toContain('changed by someone else');
    expect(await axeViolations(b)).toEqual([]);
    await b.screenshot({ path: artifactPath('coordinator-conflict.png') });
    // The first coordinator's change stands.
    const taskId = await b.locator('.follow-up').first().getAttribute('data-task');
    const task = await readTask(taskId!);
    expect(task.status).toBe('completed');
    expect(task.note).toBeUndefined();
    await b.click('#reload');
    await b.locator('.follow-up--done').first().waitFor();
    await first.close();
    await second.close();
  });

  test("shows the patient's dated plan as the patient's own page does, printable, axe-clean", async () => {
    const target = seededOf('sent', 2);
    const made = await server.fetch(`/Task/${target.taskId}/$patient-link`, { method: 'POST', body: JSON.stringify({ resourceType: 'Parameters' }) });
    const planUrl = new URL(((made.body as Parameters).parameter ?? []).find((p) => p.name === 'plan')!.valueUri!);
    const steps = (page: Page, within: string) =>
      page.locator(`${within} .checklist__item`).evaluateAll((items) =>
        items.map((item) => `${item.querySelector('.checkbox__label')?.textContent ?? ''} | ${item.querySelector('.checklist__date')?.textContent ?? ''}`),
      );

    const patientContext = await axeContext(browser);
    const patientPage = await patientContext.newPage();
    await patientPage.goto(`${server.origin}${planUrl.pathname}${planUrl.hash}`);
    await patientPage.locator('#plan-content .checklist__item').first().waitFor();
    const patientSteps = await steps(patientPage, '#plan-content');
    const patientPhases = await patientPage.locator('#plan-content .plan-phase h2').allInnerTexts();
    await patientContext.close();

    const context = await axeContext(browser);
    const page = await open(context, `#/order/${target.orderId}/plan`);
    expect(await page.locator('h1').innerText()).toBe(`Plan for Test ${target.family}`);
    expect(patientSteps.length).toBeGreaterThan(3);
    expect(patientSteps.some((s) => /\| \w{3} \d{1,2} \w{3}/.test(s))).toBe(true);
    expect(await steps(page, '#patient-plan')).toEqual(patientSteps);
    expect(await page.locator('#patient-plan .plan-phase h2').allInnerTexts()).toEqual(patientPhases);
    expect(await axeViolations(page)).toEqual([]);
    // Printed: the plan without the app around it.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header').isVisible()).toBe(false);
    expect(await page.locator('#print-plan').isVisible()).toBe(false);
    expect(await page.locator('#patient-plan .checklist__item').first().isVisible()).toBe(true);
    await page.screenshot({ path: artifactPath('coordinator-plan-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    // Keyboard: the Print button is reachable.
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement && document.activeElement.id')) === 'print-plan';
    }
    expect(reached).toBe(true);
    await context.close();
  });

  test('works with the keyboard alone: from the worklist to a patient, assigned with Enter', async () => {
    const target = seededOf('not assigned', 1);
    const context = await axeContext(browser);
    const page = await open(context);
    await page.locator('#worklist').waitFor();
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement && document.activeElement.textContent')) === `Test ${target.family}`;
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('#assign').waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('page-title');
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement && document.activeElement.id')) === 'assign') break;
    }
    await page.keyboard.press('Enter');
    await page.getByText('Questionnaire assigned.').waitFor();
    const bundle = (await server.fetch(`/Task?based-on=ServiceRequest/${target.orderId}`)).body as { entry?: { resource: Task }[] };
    expect(bundle.entry?.map((e) => e.resource.status)).toEqual(['requested']);
    await context.close();
  });

  test('draws the first page of a 500-patient worklist from two FHIR requests, and the next page from one', async () => {
    // Procedures from 400 days on, apart from the 30 above: the date filter selects exactly these.
    await seedManyPatients(server.fetch, 500, 400);
    const context = await axeContext(browser);
    const page = await context.newPage();
    const fhirRequests = countFhirRequests(page);
    await page.goto(`${server.origin}/coordinator/#/?from=${daysFromToday(400)}&to=${daysFromToday(764)}`);
    await page.locator('#worklist').waitFor();
    await settled(page);
    expect(fhirRequests).toEqual(['GET /fhir/PlanDefinition', 'POST /fhir/']);
    expect(await page.locator('#worklist tbody tr').count()).toBe(50);
    expect(await page.locator('#worklist-count').innerText()).toContain('500 in all');
    // Every third one is overdue: 167 of them, the first 50 by procedure date on the first page.
    const statuses = await page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses).toEqual(Array(50).fill('overdue'));
    expect(await axeViolations(page)).toEqual([]);
    const orderIds = () => page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order') ?? ''));
    const firstPage = await orderIds();

    fhirRequests.length = 0;
    await page.click('a[rel=next]');
    await page.waitForFunction(`!document.body.hasAttribute('aria-busy') && !document.querySelector('#worklist tr[data-order="${firstPage[0]}"]')`);
    const secondPage = await orderIds();
    expect(secondPage).toHaveLength(50);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    expect(fhirRequests).toHaveLength(1);
    await context.close();
  });

  test('keeps the need-first order and the status filter across pages of 120 patients', async () => {
    // By procedure date the overdue ones (100-119) would be on page 3 and the concerns (60-69) on page 2.
    const kindOf = (i: number): ManyKind => (i >= 100 ? 'overdue' : i >= 60 && i < 70 ? 'concern' : i % 7 === 3 ? 'in progress' : 'sent');
    await seedManyPatients(server.fetch, 120, 1000, kindOf, 'Tier');
    const all = Array.from({ length: 120 }, (_, i) => i);
    const rank = (i: number) => ({ overdue: 0, concern: 1, 'in progress': 2, sent: 2 })[kindOf(i)];
    const expected = [...all].sort((a, b) => rank(a) - rank(b) || a - b).map((i) => `Test Tier-${i}`);
    const range = `from=${daysFromToday(1000)}&to=${daysFromToday(1119)}`;

    const context = await axeContext(browser, { width: 1100 });
    const page = await context.newPage();
    const fhirRequests = countFhirRequests(page);
    await page.goto(`${server.origin}/coordinator/#/?${range}`);
    await page.locator('#worklist').waitFor();
    await settled(page);
    expect(fhirRequests).toHaveLength(2);
    const names = () => page.locator('#worklist tbody th').allInnerTexts();
    const shown = [...(await names())];
    expect(shown.slice(0, 30)).toEqual(expected.slice(0, 30));
    expect(await page.locator('#worklist-count').innerText()).toContain('120 in all');
    expect(await axeViolations(page)).toEqual([]);
    for (let n = 2; n <= 3; n++) {
      const first = shown[shown.length - 1];
      await page.click('a[rel=next]');
      await page.waitForFunction(`!document.body.hasAttribute('aria-busy') && document.querySelector('#worklist tbody th')?.textContent !== ${JSON.stringify(first)} && /page ${n}/.test(document.querySelector('#worklist-count').textContent)`);
      shown.push(...(await names()));
      // Keyboard and screen-reader users start the new page at its heading.
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('page-title');
    }
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    expect(shown).toEqual(expected);
    // Back a page.
    await page.click('a[rel=prev]');
    await page.waitForFunction("/page 2/.test(document.querySelector('#worklist-count').textContent) && !document.body.hasAttribute('aria-busy')");
    expect(await names()).toEqual(shown.slice(50, 100));

    // The status filter, on the server: every match on the first page, from wherever they are by date.
    await page.goto(`${server.origin}/coordinator/#/?${range}&status=in+progress`);
    await page.waitForFunction("/page 1/.test(document.querySelector('#worklist-count')?.textContent) && !document.body.hasAttribute('aria-busy')");
    const inProgress = all.filter((i) => kindOf(i) === 'in progress').map((i) => `Test Tier-${i}`);
    expect(inProgress.length).toBeGreaterThan(10);
    expect(await names()).toEqual(inProgress);
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    await page.selectOption('#filter-status', 'overdue');
    await page.locator('#filters button[type=submit]').click();
    await page.waitForFunction("document.querySelectorAll('#worklist tbody tr').length === 20 && !document.body.hasAttribute('aria-busy')");
    expect(await names()).toEqual(expected.slice(0, 20));
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('coordinator-worklist-overdue.png') });
    await context.close();
  });
});
