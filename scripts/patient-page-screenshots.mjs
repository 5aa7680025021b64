// Screenshots of the patient pages for docs/patient-pages.md, at a phone's size, from a running
// server started with AUTH=off (the quick start): node scripts/patient-page-screenshots.mjs [origin]
// Creates a patient, an order, an assignment Task and a patient link on that server.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const origin = process.argv[2] ?? 'http://localhost:8080';
const base = `${origin}/fhir`;
const out = 'docs/images';
const day = (n) => new Date(Date.now() + n * 864e5).toISOString().slice(0, 10);

async function post(resource) {
  const res = await fetch(`${base}/${resource.resourceType}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
  if (res.status !== 201) throw new Error(`${resource.resourceType}: ${res.status} ${await res.text()}`);
  return res.json();
}

const patient = await post({ resourceType: 'Patient', name: [{ family: 'Rivera', given: ['Ana'] }], gender: 'female', birthDate: '1968-04-02' });
const nurse = await post({ resourceType: 'Practitioner', name: [{ family: 'Nguyen', given: ['Care'] }] });
const order = await post({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '63047' }] }, subject: { reference: `Patient/${patient.id}` }, occurrenceDateTime: day(10) });
const task = await post({
  resourceType: 'Task', status: 'requested', intent: 'order',
  code: { coding: [{ system: 'https://patient-education.dev/fhir/CodeSystem/workflow-task', code: 'complete-questionnaire' }] },
  focus: { reference: 'Questionnaire/foraminotomy-preop' }, for: { reference: `Patient/${patient.id}` }, owner: { reference: `Patient/${patient.id}` },
  requester: { reference: `Practitioner/${nurse.id}` }, basedOn: [{ reference: `ServiceRequest/${order.id}` }],
  authoredOn: day(-1), executionPeriod: { start: day(-1), end: day(7) },
  input: [{ type: { coding: [{ system: 'http://hl7.org/fhir/uv/sdc/CodeSystem/temp', code: 'questionnaire' }] }, valueCanonical: 'https://patient-education.dev/fhir/Questionnaire/foraminotomy-preop' }],
});
const made = await fetch(`${base}/Task/${task.id}/$patient-link`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Parameters"}' });
const params = (await made.json()).parameter;
const link = (name) => params.find((p) => p.name === name).valueUri;

mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 375, height: 667 } });
const shots = [
  ['handout', `${origin}/education/foraminotomy`, 'main h1'],
  ['plan', link('plan'), '.checklist'],
  // LHC-Forms lays the form out for the phone's width (.lhc-item-view-sm) once it has measured it.
  ['questionnaire', link('url'), '#form-actions:not([hidden])', '.lhc-item-view-sm'],
  ['thanks', `${origin}/my/thanks`, 'h1'],
  ['link-expired', `${origin}/my/plan#not.a.token`, '#link-expired:not([hidden])'],
];
for (const [name, url, ...ready] of shots) {
  await page.goto(url);
  for (const selector of ready) await page.locator(selector).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: `${out}/patient-${name}.png` });
}
await browser.close();
