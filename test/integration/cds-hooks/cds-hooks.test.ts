/**
 * CDS Hooks 2.0 at /cds-services over HTTP on the real library: discovery, the order-select
 * and order-sign services, their cards (every field the card must carry, no null or empty
 * value), the suggested resources against base R4, feedback stored and counted, refusals,
 * CORS, and the EHR's fhirAuthorization token kept out of the log.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { CommunicationRequest, Resource, Task } from 'fhir/r4';
import pino from 'pino';
import { CdsHooksStore } from '../../../src/store/cds-hooks-store';
import { formatReport } from '../../../src/web/cds-hooks/feedback-report';
import { startTestServer } from '../../support/test-server';
import { BASE_URL, emptyValues, hookRequest, medicationRequest, ORIGIN, SELECT, serviceRequest, SIGN, startCdsServer, type CdsServer } from './cds-helpers';

const QUESTIONNAIRE_URL = 'https://patient-education.dev/fhir/Questionnaire/foraminotomy-preop';
const ICD10PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let cds: CdsServer;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  cds = await startCdsServer({}, pino({ level: 'debug' }, sink));
});
afterAll(async () => {
  await cds.close();
});

async function selectCard(occurrence: Record<string, unknown> = { occurrenceDateTime: '2026-12-15' }) {
  const res = await cds.call('POST', SELECT, hookRequest('order-select', [serviceRequest('sr-1', '63047', occurrence)], ['ServiceRequest/sr-1']));
  expect(res.status).toBe(200);
  expect(res.body.cards).toHaveLength(1);
  return res.body.cards[0];
}

function suggested<T extends Resource>(card: any, resourceType: string): T {
  const action = card.suggestions.flatMap((s: any) => s.actions).find((a: any) => a.resource.resourceType === resourceType);
  expect(action?.type).toBe('create');
  return action.resource as T;
}

test('discovery lists one service per hook, each with id, hook, title, description and the Patient prefetch', async () => {
  const res = await cds.call('GET', '/cds-services');
  expect(res.status).toBe(200);
  expect(res.body.services.map((s: any) => [s.id, s.hook])).toEqual([
    ['procedure-education', 'order-select'],
    ['procedure-education-sign', 'order-sign'],
  ]);
  for (const service of res.body.services) {
    expect(service.title).toEqual(expect.any(String));
    expect(service.description).toEqual(expect.any(String));
    expect(service.prefetch).toEqual({ patient: 'Patient/{{context.patientId}}' });
  }
  expect(emptyValues(res.body)).toEqual([]);
});

test('order-select with a 63047 ServiceRequest among other selections gives one card with every field', async () => {
  const orders = [medicationRequest('med-1'), serviceRequest('sr-1', '63047', { occurrenceDateTime: '2026-12-15' }), serviceRequest('sr-2', '99213')];
  const res = await cds.call('POST', SELECT, hookRequest('order-select', orders, ['MedicationRequest/med-1', 'ServiceRequest/sr-1', 'ServiceRequest/sr-2']));
  expect(res.status).toBe(200);
  expect(res.body.cards).toHaveLength(1);
  const card = res.body.cards[0];
  expect(card.uuid).toMatch(UUID);
  expect(card.summary).toBe('Patient education for foraminotomy: handout, preparation steps, pre-op questionnaire');
  expect(card.summary.length).toBeLessThan(140);
  expect(card.indicator).toBe('info');
  expect(card.source).toEqual({
    label: 'patient-education.dev project',
    url: 'https://patient-education.dev',
    topic: { system: 'http://terminology.hl7.org/CodeSystem/definition-topic', code: 'education', display: 'Education' },
  });
  expect(card.detail).toContain('**Key risks**');
  expect(card.detail).toContain('- **Damage to a spinal nerve**: A spinal nerve may be harmed');
  expect(card.detail).toContain('**Preparation timeline** (procedure on Dec 15, 2026)');
  expect(card.links).toEqual([{ label: 'Patient handout: Foraminotomy: patient education and care steps', url: `${ORIGIN}/education/foraminotomy`, type: 'absolute' }]);
  expect(card.selectionBehavior).toBe('any');
  expect(card.suggestions.map((s: any) => s.label)).toEqual(['Give the patient the handout', 'Assign the pre-op questionnaire']);
  const uuids = [card.uuid, ...card.suggestions.map((s: any) => s.uuid)];
  expect(new Set(uuids).size).toBe(3);
  for (const u of uuids) expect(u).toMatch(UUID);

  const handout = suggested<CommunicationRequest>(card, 'CommunicationRequest');
  expect(handout.subject).toEqual({ reference: 'Patient/pat-1' });
  expect(handout.recipient).toEqual([{ reference: 'Patient/pat-1' }]);
  expect(handout.basedOn).toEqual([{ reference: 'ServiceRequest/sr-1' }]);
  expect(handout.requester).toEqual({ reference: 'Practitioner/dr-1' });
  expect(handout.encounter).toEqual({ reference: 'Encounter/enc-1' });
  expect(handout.payload?.find((p) => p.contentAttachment)?.contentAttachment?.url).toBe(`${ORIGIN}/education/foraminotomy`);

  const task = suggested<Task>(card, 'Task');
  expect(task.code?.coding?.map((c) => c.code)).toEqual(['complete-questionnaire', 'complete-questionnaire']);
  expect(task.for).toEqual({ reference: 'Patient/pat-1' });
  expect(task.owner).toEqual({ reference: 'Patient/pat-1' });
  expect(task.focus?.reference).toBe(`${BASE_URL}/Questionnaire/foraminotomy-preop`);
  expect(task.input?.[0].valueCanonical).toMatch(new RegExp(`^${QUESTIONNAIRE_URL}`));
  expect(task.basedOn).toEqual([{ reference: 'ServiceRequest/sr-1' }]);
  // Due 7 days before the procedure.
  expect(task.executionPeriod).toEqual({ end: '2026-12-08' });
  expect(emptyValues(res.body)).toEqual([]);
});

test('the card\'s handout link resolves to 200 (the handout page)', async () => {
  const card = await selectCard();
  const url = card.links[0].url.replace(ORIGIN, cds.server.origin);
  expect((await fetch(url)).status).toBe(200);
});

test('an order in draftOrders but not in selections gives no card (order-select)', async () => {
  const orders = [serviceRequest('sr-1', '63047'), medicationRequest('med-1')];
  const res = await cds.call('POST', SELECT, hookRequest('order-select', orders, ['MedicationRequest/med-1']));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ cards: [] });
});

test('order-sign with two orders for the same plan gives one card, for the order that has a date', async () => {
  const orders = [
    serviceRequest('sr-a', '63047'),
    serviceRequest('sr-b', '01NB0ZZ', { occurrenceDateTime: '2027-01-20' }, ICD10PCS),
    medicationRequest('med-1'),
  ];
  const res = await cds.call('POST', SIGN, hookRequest('order-sign', orders));
  expect(res.status).toBe(200);
  expect(res.body.cards).toHaveLength(1);
  expect(suggested<Task>(res.body.cards[0], 'Task').basedOn).toEqual([{ reference: 'ServiceRequest/sr-b' }]);
  expect(res.body.cards[0].detail).toContain('procedure on Jan 20, 2027');
});

test('an unrelated order answers {"cards": []}', async () => {
  for (const [path, hook] of [[SELECT, 'order-select'], [SIGN, 'order-sign']] as const) {
    const res = await cds.call('POST', path, hookRequest(hook, [serviceRequest('sr-9', '99213')], hook === 'order-select' ? ['ServiceRequest/sr-9'] : undefined));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  }
});

test('the detail dates the preparation steps from occurrenceDateTime, as $apply does', async () => {
  const dated = (await selectCard({ occurrenceDateTime: '2026-12-15' })).detail as string;
  expect(dated).toContain('- By Dec 14: Have an MRI or CT scan');
  expect(dated).toContain('- Dec 8 – 14: Ask which medicines to take on the day of surgery');
  expect(dated).toContain('- Dec 15: Arrive at the hospital on time');
  // Recovery steps are not preparation.
  expect(dated).not.toContain('Drive again');
  // A dateTime with its offset: the local days of that offset; a window across a month end.
  const zoned = (await selectCard({ occurrenceDateTime: '2027-03-03T08:00:00-05:00' })).detail as string;
  expect(zoned).toContain('- Feb 24 – Mar 2: Ask which medicines to take on the day of surgery');
  // occurrencePeriod.start is day 0 as well.
  expect((await selectCard({ occurrencePeriod: { start: '2026-12-15' } })).detail).toContain('- Dec 8 – 14: Ask which medicines');
});

test('an order without a date gets the steps counted from the day of surgery and a Task with no due date', async () => {
  const card = await selectCard({});
  expect(card.detail).toContain('the order has no date yet');
  expect(card.detail).toContain('- 7 to 1 days before surgery: Ask which medicines to take on the day of surgery');
  expect(card.detail).toContain('- On the day of surgery: Arrive at the hospital on time');
  expect(suggested<Task>(card, 'Task').executionPeriod).toBeUndefined();
  expect(emptyValues(card)).toEqual([]);
});

test('the suggested CommunicationRequest and Task pass base R4 validation with the server\'s validator', async () => {
  for (const card of [await selectCard(), await selectCard({})]) {
    for (const type of ['CommunicationRequest', 'Task']) {
      const resource = suggested<Resource>(card, type);
      expect(resource.meta?.profile).toBeUndefined();
      const issues = await cds.server.ctx.service.validate(resource);
      expect({ type, errors: issues.filter((i) => i.severity === 'error' || i.severity === 'fatal') }).toEqual({ type, errors: [] });
    }
  }
});

test('a prefetched Patient is used, and a null prefetch (nothing to send) is accepted', async () => {
  const orders = [serviceRequest('sr-1', '63047', { occurrenceDateTime: '2026-12-15' })];
  for (const patient of [{ resourceType: 'Patient', id: 'pat-1', gender: 'female', birthDate: '1960-05-01' }, null]) {
    const res = await cds.call('POST', SELECT, hookRequest('order-select', orders, ['ServiceRequest/sr-1'], { prefetch: { patient } }));
    expect(res.status).toBe(200);
    expect(res.body.cards).toHaveLength(1);
  }
});

test('feedback is stored and counted: offered, accepted, overridden, suggestions accepted', async () => {
  const store = new CdsHooksStore(cds.server.ctx.database);
  const countsNow = async () => (await store.feedbackCounts(new Date(0))).find((c) => c.serviceId === 'procedure-education' && c.planId === 'foraminotomy')!;
  const before = (await countsNow()) ?? { offered: 0, accepted: 0, overridden: 0, acceptedSuggestions: 0 };
  const accepted = await selectCard();
  const overridden = await selectCard();
  await selectCard(); // offered, never answered
  const feedback = {
    feedback: [
      { card: accepted.uuid, outcome: 'accepted', acceptedSuggestions: accepted.suggestions.map((s: any) => ({ id: s.uuid })), outcomeTimestamp: new Date().toISOString() },
      // Sent twice (the spec allows it): counted once.
      { card: accepted.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: accepted.suggestions[0].uuid }], outcomeTimestamp: new Date().toISOString() },
      { card: overridden.uuid, outcome: 'overridden', overrideReason: { reason: { system: 'https://ehr.test/reasons', code: 'already-given' }, userComment: 'Given at the last visit' }, outcomeTimestamp: '2026-12-07T10:05:31Z' },
    ],
  };
  const res = await cds.call('POST', `${SELECT}/feedback`, feedback);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ stored: 3 });

  const after = await countsNow();
  expect({
    offered: after.offered - before.offered,
    accepted: after.accepted - before.accepted,
    overridden: after.overridden - before.overridden,
    acceptedSuggestions: after.acceptedSuggestions - before.acceptedSuggestions,
  }).toEqual({ offered: 3, accepted: 1, overridden: 1, acceptedSuggestions: 2 });
  const row = `procedure-education\tforaminotomy\t${after.offered}\t${after.accepted}\t${after.overridden}\t${after.acceptedSuggestions}`;
  expect(formatReport([after], 30)).toContain(row);
  if (cds.server.databaseUrl !== undefined) {
    // The report command, on the same database.
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/cds-report-command.ts', '--days', '30'], { env: { ...process.env, DATABASE_URL: cds.server.databaseUrl } });
    expect(stdout).toContain(row);
  }
});

test('malformed feedback answers 400 naming the field', async () => {
  const cases: [unknown, RegExp][] = [
    [{}, /feedback/],
    [{ feedback: [{ card: 'c', outcome: 'maybe', outcomeTimestamp: '2026-12-07T10:05:31Z' }] }, /feedback\[0\]\.outcome/],
    [{ feedback: [{ card: 'c', outcome: 'accepted', outcomeTimestamp: '2026-12-07T10:05:31Z' }] }, /acceptedSuggestions/],
    [{ feedback: [{ card: 'c', outcome: 'overridden', outcomeTimestamp: 'yesterday' }] }, /outcomeTimestamp/],
    [{ feedback: [{ outcome: 'overridden', outcomeTimestamp: '2026-12-07T10:05:31Z' }] }, /feedback\[0\]\.card/],
  ];
  for (const [body, message] of cases) {
    const res = await cds.call('POST', `${SELECT}/feedback`, body);
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    expect(res.body.message).toMatch(message);
  }
});

test('a malformed hook request answers 400 naming what is wrong', async () => {
  const valid = hookRequest('order-select', [serviceRequest('sr-1', '63047')], ['ServiceRequest/sr-1']);
  const cases: [unknown, RegExp][] = [
    ['{not json', /not valid JSON/],
    [[], /JSON object/],
    [{ ...valid, hook: 'order-sign' }, /hook is "order-sign" but this service answers order-select/],
    [{ ...valid, hookInstance: undefined }, /hookInstance/],
    [{ ...valid, context: undefined }, /context/],
    [{ ...valid, context: { ...valid.context, patientId: undefined } }, /context\.patientId/],
    [{ ...valid, context: { ...valid.context, patientId: 'a b' } }, /context\.patientId must be a FHIR id/],
    [{ ...valid, context: { ...valid.context, selections: undefined } }, /context\.selections/],
    [{ ...valid, context: { ...valid.context, draftOrders: { resourceType: 'Patient' } } }, /context\.draftOrders/],
    [{ ...valid, context: { ...valid.context, draftOrders: { resourceType: 'Bundle', entry: [{ resource: 'x' }] } } }, /draftOrders\.entry\[0\]\.resource/],
    [{ ...valid, fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read', subject: 'cds' } }, /fhirServer/],
  ];
  for (const [body, message] of cases) {
    const res = await cds.call('POST', SELECT, typeof body === 'string' ? body : JSON.parse(JSON.stringify(body)));
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    expect(res.body.message).toMatch(message);
  }
});

test('an unknown service answers 404, a wrong method 405, both as JSON errors', async () => {
  const unknown = await cds.call('POST', '/cds-services/no-such-service', hookRequest('order-select', [], ['ServiceRequest/x']));
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toBe('not_found');
  expect((await cds.call('POST', '/cds-services/no-such-service/feedback', { feedback: [] })).status).toBe(404);
  const get = await cds.call('GET', SELECT, undefined, await cds.jwt(SELECT));
  expect(get.status).toBe(405);
  expect(get.body.error).toBe('method_not_allowed');
});

test('CORS: preflights from any origin are answered, allowing Authorization and Content-Type', async () => {
  for (const path of ['/cds-services', SELECT, `${SELECT}/feedback`]) {
    const res = await cds.call('OPTIONS', path, undefined, null, {
      origin: 'https://sandbox.cds-hooks.org',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
  }
  const call = await cds.call('GET', '/cds-services', undefined, undefined, { origin: 'https://sandbox.cds-hooks.org' });
  expect(call.headers.get('access-control-allow-origin')).toBe('*');
});

test('the fhirAuthorization access token the EHR sends never reaches the log', async () => {
  const secret = `fhir-access-${randomUUID()}`;
  const fhirAuthorization = { access_token: secret, token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read', subject: 'cds-service' };
  const orders = [serviceRequest('sr-1', '63047')];
  const good = await cds.call('POST', SELECT, hookRequest('order-select', orders, ['ServiceRequest/sr-1'], { fhirServer: 'https://ehr.test/fhir', fhirAuthorization }));
  expect(good.status).toBe(200);
  const bad = await cds.call('POST', SELECT, hookRequest('order-select', orders, ['ServiceRequest/sr-1'], { fhirAuthorization }));
  expect(bad.status).toBe(400);
  const log = logLines.join('');
  expect(log).toContain('cds hook answered');
  expect(log).not.toContain(secret);
});

describe('AUTH=off, and CORS_ORIGINS set for the FHIR API', () => {
  test('no token is needed, and /cds-services keeps its own CORS origins', async () => {
    const open = await startTestServer({ env: { AUTH: 'off', BASE_URL, LOAD_CONTENT: 'true', CORS_ORIGINS: 'https://app.example' } });
    try {
      const discovery = await open.fetch(`${open.origin}/cds-services`);
      expect(discovery.status).toBe(200);
      const body = JSON.stringify(hookRequest('order-sign', [serviceRequest('sr-1', '63047')]));
      const call = await open.fetch(`${open.origin}${SIGN}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(call.status).toBe(200);
      expect(call.body.cards).toHaveLength(1);
      const preflight = await fetch(`${open.origin}${SIGN}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await open.close();
    }
  });
});
