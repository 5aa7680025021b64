/**
 * The pre-op questionnaire page in Chromium: LHC-Forms from our origin, filled with the keyboard
 * alone and submitted through the FHIR API (the Task becomes completed, the follow-up Tasks
 * appear), saved in progress and resumed, a refusal of the server shown next to its question,
 * axe-core clean in every state, readable at 375 px, and within its own CSP.
 */
import type { QuestionnaireResponse, Task } from 'fhir/r4';
import type { Browser, Page } from 'playwright-core';
import { startSecureServer, type SecureServer } from '../integration/security/security-helpers';
import { createPatientCase, makeLink } from '../integration/web/patient-fixtures';
import { answerWithKeyboard, artifactPath, axeContext, axeViolations, collectCspErrors, launchBrowser, phoneLayout } from './browser-support';

const WORKFLOW_TASK = 'https://patient-education.dev/fhir/CodeSystem/workflow-task';
const PREOP_ANSWER = 'https://patient-education.dev/fhir/CodeSystem/preop-answer';

let secure: SecureServer;
let admin: ReturnType<SecureServer['as']>;
let browser: Browser;
let origin: string;

function onThisServer(link: string): string {
  const url = new URL(link);
  return `${origin}${url.pathname}${url.hash}`;
}

async function openForm(page: Page, taskId: string): Promise<void> {
  const link = await makeLink(admin, taskId);
  await page.goto(onThisServer(link.url));
  await page.locator('#form-actions').waitFor({ state: 'visible', timeout: 30_000 });
}

describe('the questionnaire page in Chromium', () => {
  beforeAll(async () => {
    secure = await startSecureServer();
    origin = secure.server.origin;
    admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await secure?.close();
  });

  test('is filled and sent with the keyboard alone: the Task is completed and the follow-ups exist; the thank-you page follows', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Ito' });
    const context = await axeContext(browser);
    const page = await context.newPage();
    const cspErrors = collectCspErrors(page);
    await openForm(page, c.taskId);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('questionnaire-1024.png') });
    // A man is asked about pregnancy too, and says it does not apply to him.
    const answered = await answerWithKeyboard(page, { sex: 'male', pregnant: 'not-applicable', smoking: 'true', 'ride-home': 'no', 'home-prepared': 'yes' });
    expect(answered).toEqual(['sex', 'pregnant', 'takes-medicines', 'alcohol', 'takes-blood-thinners', 'recent-illness', 'diabetes', 'heart-disease', 'other-conditions', 'smoking', 'ride-home', 'home-prepared']);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/my/thanks`);
    expect(await page.locator('h1').innerText()).toBe('Thank you, your answers are sent');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('thanks.png') });
    expect(cspErrors).toEqual([]);

    const task = (await admin(`/Task/${c.taskId}`)).body as Task;
    expect(task.status).toBe('completed');
    const responseRef = task.output?.find((o) => o.valueReference?.reference?.startsWith('QuestionnaireResponse/'))?.valueReference?.reference;
    expect(responseRef).toBeDefined();
    const response = (await admin(`/${responseRef}`)).body as QuestionnaireResponse;
    expect(response.status).toBe('completed');
    expect(response.subject?.reference).toBe(`Patient/${c.patientId}`);
    const answerOf = (linkId: string) => response.item?.flatMap((i) => i.item ?? []).find((i) => i.linkId === linkId)?.answer;
    expect(answerOf('sex')).toEqual([{ valueCoding: { system: 'http://hl7.org/fhir/administrative-gender', code: 'male', display: 'Male' } }]);
    expect(answerOf('pregnant')).toEqual([{ valueCoding: { system: PREOP_ANSWER, code: 'not-applicable', display: 'This does not apply to me' } }]);
    expect(answerOf('home-prepared')).toEqual([{ valueCoding: { system: PREOP_ANSWER, code: 'yes', display: 'Yes' } }]);
    const followUps = (await admin(`/Task?focus=${responseRef}&code=${encodeURIComponent(`${WORKFLOW_TASK}|review-preop-concern`)}`)).body;
    const concerns = (followUps.entry ?? []).map((e: { resource: Task }) => e.resource.reasonCode?.coding?.[0]?.code);
    expect(concerns.sort()).toEqual(['no-ride-home', 'smoking']);
    await context.close();
  });

  test('saves the answers in progress and shows them again when the patient comes back', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Jones' });
    const context = await axeContext(browser);
    const page = await context.newPage();
    await openForm(page, c.taskId);
    await page.locator('[id="takes-medicines/1/1|true"]').click();
    await page.locator('#save-answers').click();
    await page.getByText('Your answers are saved.').waitFor();
    const task = (await admin(`/Task/${c.taskId}`)).body as Task;
    expect(task.status).toBe('in-progress');
    const responseRef = task.output?.[0]?.valueReference?.reference;
    expect(((await admin(`/${responseRef}`)).body as QuestionnaireResponse).status).toBe('in-progress');
    // The token stays in this tab: coming back to the page finds the saved answer.
    await page.goto(`${origin}/my/questionnaire`);
    await page.locator('#form-actions').waitFor({ state: 'visible' });
    expect(await page.locator('[id="takes-medicines/1/1|true"] input').isChecked()).toBe(true);
    await context.close();
  });

  test('saves the answers in progress when the patient leaves the page', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Novak' });
    const context = await axeContext(browser);
    const page = await context.newPage();
    await openForm(page, c.taskId);
    await page.locator('[id="alcohol/1/1|true"]').click();
    await page.goto(`${origin}/education/foraminotomy`);
    let task = (await admin(`/Task/${c.taskId}`)).body as Task;
    for (let i = 0; i < 50 && task.status !== 'in-progress'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      task = (await admin(`/Task/${c.taskId}`)).body as Task;
    }
    expect(task.status).toBe('in-progress');
    const saved = (await admin(`/${task.output?.[0]?.valueReference?.reference}`)).body as QuestionnaireResponse;
    expect(saved.status).toBe('in-progress');
    const alcohol = saved.item?.flatMap((i) => i.item ?? []).find((i) => i.linkId === 'alcohol');
    expect(alcohol?.answer).toEqual([{ valueBoolean: true }]);
    await context.close();
  });

  test('a refusal of the server is shown next to its question, in plain words, with a summary at the top', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Khan' });
    const context = await axeContext(browser);
    const page = await context.newPage();
    await openForm(page, c.taskId);
    // The server, not the form, refuses: the answer to "Do you smoke?" is dropped on its way.
    await page.route('**/fhir/QuestionnaireResponse**', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as QuestionnaireResponse;
      const strip = (items: QuestionnaireResponse['item']): QuestionnaireResponse['item'] => items?.filter((i) => i.linkId !== 'smoking').map((i) => ({ ...i, item: strip(i.item) }));
      if (body.status === 'completed') body.item = strip(body.item);
      await route.continue({ postData: JSON.stringify(body) });
    });
    await answerWithKeyboard(page, { sex: 'female' });
    await page.keyboard.press('Enter');
    const message = page.locator('[id^="item-smoking/"] .error-message[data-server]');
    await message.waitFor();
    expect(await message.innerText()).toBe('Please answer this question.');
    expect(await page.locator('.error-summary h2').innerText()).toBe('There is a problem');
    expect(await page.locator('.error-summary a').first().innerText()).toContain('Please answer this question.');
    expect(page.url()).toBe(`${origin}/my/questionnaire`);
    expect(((await admin(`/Task/${c.taskId}`)).body as Task).status).not.toBe('completed');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('questionnaire-refused.png') });
    await context.close();
  });

  test('shows a question only when its condition holds, and repeats a group on request', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Mills' });
    const context = await axeContext(browser);
    const page = await context.newPage();
    await openForm(page, c.taskId);
    expect(await page.locator('[id^="item-medicines/"]').count()).toBe(0);
    await page.locator('[id="takes-medicines/1/1|true"]').click();
    await page.locator('[id="medicine-name/1/1/1"]').fill('Aspirin');
    await page.locator('[id="add-medicines/1/1"]').click();
    await page.locator('[id="medicine-name/1/2/1"]').fill('Vitamin E');
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('#save-answers').click();
    await page.getByText('Your answers are saved.').waitFor();
    const task = (await admin(`/Task/${c.taskId}`)).body as Task;
    const saved = (await admin(`/${task.output?.[0]?.valueReference?.reference}`)).body as QuestionnaireResponse;
    const names = JSON.stringify(saved.item).match(/"valueString":"[^"]*"/g);
    expect(names).toEqual(['"valueString":"Aspirin"', '"valueString":"Vitamin E"']);
    await context.close();
  });

  test('at 375 px the choice lists are radio buttons and check boxes, nothing scrolls sideways and no text is smaller than 16 px', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Lopez' });
    const context = await axeContext(browser, { width: 375 });
    const page = await context.newPage();
    await openForm(page, c.taskId);
    expect(await page.locator('[id^="item-pregnant/"] input[type="radio"]').count()).toBe(3);
    expect(await page.locator('[id^="item-ride-home/"] input[type="radio"]').count()).toBe(3);
    // The "choose all that apply" lists, shown by their yes/no questions, are check boxes.
    await page.locator('[id="takes-blood-thinners/1/1|true"]').click();
    await page.locator('[id="recent-illness/1/1|true"]').click();
    expect(await page.locator('[id^="item-blood-thinners/"] input[type="checkbox"]').count()).toBe(6);
    expect(await page.locator('[id^="item-illnesses/"] input[type="checkbox"]').count()).toBe(6);
    const layout = await phoneLayout(page);
    expect(layout.overflow).toBeLessThanOrEqual(0);
    expect(layout.smallestText).toBeGreaterThanOrEqual(16);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: artifactPath('questionnaire-375.png') });
    await context.close();
  });
});
