/**
 * The patient pages over HTTP on a real database: the handout page and its PDF rendered from
 * the library, the procedure lookup, and patient links (what their token reaches, when it
 * stops working, who may make one).
 */
import type { Binary, DocumentReference, OperationOutcome, Task } from 'fhir/r4';
import { SignJWT } from 'jose';
import { parseHandoutHtml } from '../../../src/web/patient/handout';
import { embeddedFontCount, pdfText } from '../../support/pdf-text';
import { BASE_URL, json, newKey, startSecureServer, type SecureServer } from '../security/security-helpers';
import { createPatientCase, daysFromToday, makeLink, type PatientCase } from './patient-fixtures';

let secure: SecureServer;
let admin: ReturnType<SecureServer['as']>;
let origin: string;
let handoutHtml: string;

beforeAll(async () => {
  secure = await startSecureServer();
  admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
  origin = secure.server.origin;
  const doc = (await secure.as(undefined)('/DocumentReference/foraminotomy-handout')).body as DocumentReference;
  handoutHtml = Buffer.from(doc.content.find((c) => c.attachment.contentType === 'text/html')!.attachment.data!, 'base64').toString('utf8');
});
afterAll(async () => {
  await secure?.close();
});

const page = (path: string, init?: RequestInit) => fetch(`${origin}${path}`, { redirect: 'manual', ...init });

describe('the handout page', () => {
  test('shows every section of the handout DocumentReference, with a contents list, the source credit and no script', async () => {
    const res = await page('/education/foraminotomy');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const sections = parseHandoutHtml(handoutHtml).sections;
    expect(sections.length).toBeGreaterThanOrEqual(8);
    for (const s of sections) {
      expect(html).toContain(`<h2 id="${s.id}">`);
      expect(html).toContain(`<a href="#${s.id}">`);
    }
    expect(html).toContain('<li>Blood clots</li>');
    expect(html).toContain('MedlinePlus Medical Encyclopedia');
    expect(html).not.toContain('<script');
    expect(html).toContain('href="/education/foraminotomy.pdf"');
  });

  test('sends a Content-Security-Policy that allows scripts from our origin only', async () => {
    const csp = (await page('/education/foraminotomy')).headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
  });

  test('the plan and questionnaire pages allow no inline script either, and are not cached', async () => {
    for (const path of ['/my/plan', '/my/questionnaire', '/my/thanks']) {
      const res = await page(path);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  test('a procedure code with one plan redirects to its page; an unknown code answers a friendly 404 page; a malformed one a 400 page', async () => {
    const one = await page(`/education?procedure=${encodeURIComponent('http://www.ama-assn.org/go/cpt|63047')}`);
    expect(one.status).toBe(303);
    expect(one.headers.get('location')).toBe('/education/foraminotomy');
    const none = await page(`/education?procedure=${encodeURIComponent('http://www.ama-assn.org/go/cpt|99999')}`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain('We have no guide for this surgery yet');
    const bad = await page('/education?procedure=nocode');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('an unknown plan answers a friendly 404 page, not an OperationOutcome', async () => {
    const res = await page('/education/no-such-plan');
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<h1>Page not found</h1>');
    expect(html).not.toContain('OperationOutcome');
  });
});

describe('the handout PDF', () => {
  test('holds every section as selectable text, embeds its fonts and is tagged', async () => {
    const res = await page('/education/foraminotomy.pdf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = new Uint8Array(await res.arrayBuffer());
    const { text, tagged } = await pdfText(pdf);
    for (const s of parseHandoutHtml(handoutHtml).sections) expect(text).toContain(s.heading);
    expect(text).toContain('Blood clots');
    expect(text).toContain('MedlinePlus Medical Encyclopedia');
    expect(embeddedFontCount(pdf)).toBeGreaterThanOrEqual(1);
    expect(tagged).toBe(true);
  });

  test('is the handout DocumentReference\'s application/pdf attachment, by URL', async () => {
    const doc = (await secure.as(undefined)('/DocumentReference/foraminotomy-handout')).body as DocumentReference;
    const attachment = doc.content.map((c) => c.attachment).find((a) => a.contentType === 'application/pdf');
    expect(attachment?.url).toBeDefined();
    const res = await fetch(new URL(attachment!.url!, `${origin}/fhir/DocumentReference/foraminotomy-handout`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
  });
});

describe('patient links', () => {
  let a: PatientCase;
  let b: PatientCase;
  beforeAll(async () => {
    a = await createPatientCase(secure, admin, { family: 'Alvarez' });
    b = await createPatientCase(secure, admin, { family: 'Baker' });
  });

  test('the link carries its token in the fragment only, and expires a day after the due date', async () => {
    const link = await makeLink(admin, a.taskId);
    const url = new URL(link.url);
    expect(url.origin).toBe(new URL(BASE_URL).origin);
    expect(url.pathname).toBe('/my/questionnaire');
    expect(url.search).toBe('');
    expect(link.token.split('.')).toHaveLength(3);
    expect(new URL(link.plan).hash).toBe(`#${link.token}`);
    expect(Date.parse(link.expires)).toBe(Date.parse(`${daysFromToday(7)}T23:59:59Z`) + 86_400_000);
  });

  test('the token reads its own patient\'s Task, Patient and order, and nothing of another patient', async () => {
    const api = secure.as((await makeLink(admin, a.taskId)).token);
    expect((await api(`/Task/${a.taskId}`)).status).toBe(200);
    expect((await api(`/Patient/${a.patientId}`)).status).toBe(200);
    expect((await api(`/ServiceRequest/${a.orderId}`)).status).toBe(200);
    expect((await api(`/Task/${b.taskId}`)).status).toBe(404);
    expect((await api(`/Patient/${b.patientId}`)).status).toBe(404);
    const tasks = (await api('/Task')).body.entry.map((e: { resource: Task }) => e.resource.for?.reference);
    expect(new Set(tasks)).toEqual(new Set([`Patient/${a.patientId}`]));
    // It cannot change the Task, nor write for another patient.
    const task = (await api(`/Task/${a.taskId}`)).body as Task;
    expect((await api(`/Task/${a.taskId}`, json('PUT', { ...task, status: 'completed' }))).status).toBe(403);
    const other = { resourceType: 'QuestionnaireResponse', status: 'in-progress', questionnaire: 'https://patient-education.dev/fhir/Questionnaire/foraminotomy-preop', subject: { reference: `Patient/${b.patientId}` } };
    expect((await api('/QuestionnaireResponse', json('POST', other))).status).toBe(403);
    const own = { ...other, subject: { reference: `Patient/${a.patientId}` } };
    expect((await api('/QuestionnaireResponse', json('POST', own))).status).toBe(201);
  });

  test('stops working as soon as the Task is cancelled, and no new link can be made for it', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Cho' });
    const api = secure.as((await makeLink(admin, c.taskId)).token);
    expect((await api(`/Task/${c.taskId}`)).status).toBe(200);
    const task = (await admin(`/Task/${c.taskId}`)).body as Task;
    expect((await admin(`/Task/${c.taskId}`, json('PUT', { ...task, status: 'cancelled' }))).status).toBe(200);
    const refused = await api(`/Patient/${c.patientId}`);
    expect(refused.status).toBe(401);
    expect(refused.body.issue[0].diagnostics).toContain('cancelled');
    const again = await admin(`/Task/${c.taskId}/$patient-link`, json('POST', { resourceType: 'Parameters' }));
    expect(again.status).toBe(409);
    expect(again.body.resourceType).toBe('OperationOutcome');
  });

  test('an expired, forged or other-purpose token is refused by the API', async () => {
    const keys = await newKey('ES256');
    const forged = await new SignJWT({ client_id: 'patient-link', patient: a.patientId, scope: 'patient/Task.rs', patient_link_task: a.taskId })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(`${new URL(BASE_URL).origin}/auth`)
      .setAudience(BASE_URL)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(keys.privateKey);
    expect((await secure.as(forged)(`/Task/${a.taskId}`)).status).toBe(401);
  });

  test('is made by the care team only: a patient-scoped client is refused', async () => {
    const patientApp = secure.as(await secure.token({ scope: 'patient/*.cruds', patient: a.patientId }));
    const res = await patientApp(`/Task/${a.taskId}/$patient-link`, json('POST', { resourceType: 'Parameters' }));
    expect(res.status).toBe(403);
  });

  test('is refused for a Task past its due date', async () => {
    const late = await createPatientCase(secure, admin, { family: 'Diaz', start: daysFromToday(-20), due: daysFromToday(-10) });
    const res = await admin(`/Task/${late.taskId}/$patient-link`, json('POST', { resourceType: 'Parameters' }));
    expect(res.status).toBe(409);
    expect(res.body.issue[0].diagnostics).toContain('due date');
  });
});

describe('the plan behind the link', () => {
  test('/my/plan/content renders the dated plan for the link\'s patient, steps linked to handout sections', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Evans', surgeryDay: daysFromToday(10) });
    const link = await makeLink(admin, c.taskId);
    const res = await page('/my/plan/content', { headers: { authorization: `Bearer ${link.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('Have an MRI or CT scan');
    expect(html).toContain('Arrive at the hospital on time');
    expect(html).toContain('href="/education/foraminotomy#before-the-surgery"');
    expect(html).toContain('href="/education/foraminotomy#on-the-day-of-surgery"');
    expect(html).toContain('Next step');
  });

  test('ServiceRequest/{id}/$patient-plan gives the care team the same plan as the patient\'s page, and nobody else', async () => {
    const c = await createPatientCase(secure, admin, { family: 'Fischer', surgeryDay: daysFromToday(12) });
    const link = await makeLink(admin, c.taskId);
    const patientHtml = await (await page('/my/plan/content', { headers: { authorization: `Bearer ${link.token}` } })).text();
    const coordinator = secure.as(await secure.token({ scope: 'user/ServiceRequest.rs user/PlanDefinition.rs', fhirUser: 'Practitioner/x' }));
    const res = await coordinator(`/ServiceRequest/${c.orderId}/$patient-plan`);
    expect(res.status).toBe(200);
    const binary = res.body as Binary;
    expect(binary.resourceType).toBe('Binary');
    expect(binary.contentType).toBe('text/html');
    expect(Buffer.from(binary.data!, 'base64').toString('utf8')).toBe(patientHtml);
    expect(patientHtml).toContain('Have an MRI or CT scan');

    // Without access to the order: refused, and no plan.
    const noOrders = secure.as(await secure.token({ scope: 'user/PlanDefinition.rs' }));
    expect((await noOrders(`/ServiceRequest/${c.orderId}/$patient-plan`)).status).toBe(403);
    const otherPatient = secure.as(await secure.token({ scope: 'patient/*.rs', patient: 'someone-else' }));
    const refused = await otherPatient(`/ServiceRequest/${c.orderId}/$patient-plan`);
    expect([403, 404]).toContain(refused.status);
    expect((refused.body as OperationOutcome).resourceType).toBe('OperationOutcome');
    expect((await coordinator('/ServiceRequest/no-such-order/$patient-plan')).status).toBe(404);
  });

  test('/my/plan/content answers the expired-link message, and no data, for a forged or missing token', async () => {
    const keys = await newKey('ES256');
    const forged = await new SignJWT({ client_id: 'patient-link', patient: 'x', patient_link_task: 'y' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(`${new URL(BASE_URL).origin}/auth`)
      .setAudience(BASE_URL)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(keys.privateKey);
    for (const headers of [{ authorization: `Bearer ${forged}` }, {} as Record<string, string>]) {
      const res = await page('/my/plan/content', { headers });
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain('This link has expired — contact your care team');
      expect(html).not.toContain('MRI');
    }
  });
});

describe('a link past its expiry', () => {
  let short: SecureServer;
  afterAll(async () => {
    await short?.close();
  });

  test('is refused by the API and by the plan page once its time is up', async () => {
    short = await startSecureServer({ PATIENT_LINK_DAYS_AFTER_DUE: '0', AUTH_CLOCK_SKEW_SECONDS: '0' });
    const careTeam = short.as(await short.token({ scope: 'system/*.cruds' }));
    const due = new Date(Date.now() + 3000).toISOString();
    const c = await createPatientCase(short, careTeam, { family: 'Ford', due });
    const link = await makeLink(careTeam, c.taskId);
    expect(Date.parse(link.expires)).toBe(Date.parse(due));
    const api = short.as(link.token);
    expect((await api(`/Task/${c.taskId}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(due) - Date.now()) + 1500));
    const refused = await api(`/Task/${c.taskId}`);
    expect(refused.status).toBe(401);
    expect(refused.body.issue[0].diagnostics).toContain('expired');
    const res = await fetch(`${short.server.origin}/my/plan/content`, { headers: { authorization: `Bearer ${link.token}` } });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('This link has expired — contact your care team');
  });
});
