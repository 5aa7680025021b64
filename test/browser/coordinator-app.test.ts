/**
 * The coordinators' worklist app in Chromium with AUTH=off: the seeded worklist in the order of
 * need, assigning and sending a patient link, the patient answering in a second browser
 * context, the answers and concerns appearing, a concern marked done, two coordinators
 * changing the same Task, axe-core on every view, keyboard-only use, and the first page of a
 * long worklist counted in FHIR requests.
 */
import type { Task } from 'fhir/r4';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/test-server';
import { answerWithKeyboard, artifactPath, axeContext, axeViolations, collectCspErrors, launchBrowser } from './browser-support';
import { expectedOrder, seedManyPatients, seedWorklist, type SeededPatient } from './coordinator-fixtures';
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

  test("shows the patient's dated plan, axe-clean", async () => {
    const target = seededOf('sent', 2);
    const context = await axeContext(browser);
    const page = await open(context, `#/order/${target.orderId}/plan`);
    expect(await page.locator('h1').innerText()).toBe(`Plan for Test ${target.family}`);
    expect(await page.locator('.plan-phase').count()).toBeGreaterThan(1);
    expect(await axeViolations(page)).toEqual([]);
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
    const fhirRequests: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/fhir/')) fhirRequests.push(`${request.method()} ${url.pathname}`);
    });
    await page.goto(`${server.origin}/coordinator/#/?from=${daysFromToday(400)}`);
    await page.locator('#worklist').waitFor();
    await settled(page);
    expect(fhirRequests).toEqual(['GET /fhir/PlanDefinition', 'GET /fhir/ServiceRequest']);
    expect(await page.locator('#worklist tbody tr').count()).toBe(50);
    expect(await page.locator('#worklist-count').innerText()).toContain('500 in all');
    // Every third one is overdue: those 17 of the page's 50 come first.
    const statuses = await page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses.indexOf('sent')).toBe(statuses.filter((s) => s === 'overdue').length);
    expect(await axeViolations(page)).toEqual([]);
    const orderIds = () => page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order') ?? ''));
    const firstPage = await orderIds();

    fhirRequests.length = 0;
    await page.click('a[rel=next]');
    await page.waitForFunction(`!document.body.hasAttribute('aria-busy') && !document.querySelector('#worklist tr[data-order="${firstPage[0]}"]')`);
    const secondPage = await orderIds();
    expect(secondPage).toHaveLength(50);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    expect(fhirRequests).toEqual(['GET /fhir/ServiceRequest']);
    await context.close();
  });
});
