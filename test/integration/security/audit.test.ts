/**
 * The audit trail: every access to patient-side data, allowed or refused, is an R4
 * AuditEvent; writes are audited in their own transaction; the trail is append-only and
 * readable only with a scope that names AuditEvent.
 */
import type { AuditEvent } from 'fhir/r4';
import { EXTERNAL_ISSUER, eventually, json, startSecureServer, type SecureServer } from './security-helpers';
import { seed } from './seed';

let secure: SecureServer;
let auditor: ReturnType<SecureServer['as']>;
let system: ReturnType<SecureServer['as']>;
let patientA: ReturnType<SecureServer['as']>;

beforeAll(async () => {
  secure = await startSecureServer();
  await seed(secure);
  auditor = secure.as(await secure.token({ scope: 'system/AuditEvent.rs', client_id: 'auditor' }));
  system = secure.as(await secure.token({ scope: 'system/*.cruds', client_id: 'ehr-backend', sub: 'ehr-backend' }));
  patientA = secure.as(await secure.token({ scope: 'patient/*.rs patient/AuditEvent.rs', patient: 'pat-a', client_id: 'patient-app', fhirUser: 'Patient/pat-a' }));
});
afterAll(async () => {
  await secure.close();
});

async function events(query: string): Promise<AuditEvent[]> {
  const res = await auditor(`/AuditEvent?${query}&_count=200`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

const whatOf = (event: AuditEvent) => (event.entity ?? []).map((e) => e.what?.reference).filter((r) => r !== undefined);
const clientOf = (event: AuditEvent) => event.agent.find((a) => a.who?.identifier)?.who?.identifier?.value;

test('a read is audited: who, what, outcome', async () => {
  expect((await system('/Task/task-b1')).status).toBe(200);
  const [event] = await eventually(() => events('entity=Task/task-b1&subtype=read'), (list) => list.length > 0);
  expect(event).toMatchObject({
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
    action: 'R',
    outcome: '0',
  });
  expect(event.agent[0]).toMatchObject({ who: { identifier: { system: EXTERNAL_ISSUER, value: 'ehr-backend' } }, requestor: true });
  expect(whatOf(event)).toEqual(['Task/task-b1', 'Patient/pat-b']);
  expect(event.source.observer.identifier?.value).toBe('http://fhir.test/fhir');
});

test('a refused read is audited as a failure, under the client that tried', async () => {
  expect((await patientA('/QuestionnaireResponse/qr-b')).status).toBe(404);
  const found = await eventually(
    () => events('subtype=read&outcome=4'),
    (list) => list.some((e) => e.outcomeDesc?.includes('/QuestionnaireResponse/qr-b') && clientOf(e) === 'patient-app'),
  );
  const event = found.find((e) => e.outcomeDesc?.includes('/QuestionnaireResponse/qr-b'))!;
  // The user of the app is the requestor; the resource it did not get is not named as touched.
  expect(event.agent[0]).toMatchObject({ who: { reference: 'Patient/pat-a' }, requestor: true });
  expect(whatOf(event)).not.toContain('QuestionnaireResponse/qr-b');
  expect(event.outcomeDesc).toMatch(/-> 404 \(request [^)]+\): QuestionnaireResponse\/qr-b is not known$/);
});

test('a request without a token for patient data is audited as anonymous', async () => {
  expect((await secure.as(undefined)('/CarePlan/cp-a')).status).toBe(401);
  const found = await eventually(() => events('outcome=4'), (list) => list.some((e) => e.outcomeDesc?.startsWith('GET /fhir/CarePlan/cp-a -> 401')));
  const event = found.find((e) => e.outcomeDesc?.startsWith('GET /fhir/CarePlan/cp-a -> 401'))!;
  expect(event.agent[0].who?.display).toMatch(/anonymous/);
  expect(event.agent[0].network).toMatchObject({ type: '2' });
});

test('a search is audited with its query and what it returned', async () => {
  expect((await system('/CarePlan?status=active')).status).toBe(200);
  const found = await eventually(() => events('subtype=search-type&entity=CarePlan/cp-b'), (list) => list.length > 0);
  const query = found[0].entity!.find((e) => e.query !== undefined)!;
  expect(Buffer.from(query.query!, 'base64').toString()).toBe('status=active');
  expect(whatOf(found[0])).toEqual(expect.arrayContaining(['CarePlan/cp-a', 'CarePlan/cp-b', 'Patient/pat-a', 'Patient/pat-b']));
});

test('a write is audited in its own transaction: the event exists when the response arrives', async () => {
  const created = await system('/Task', json('POST', { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' } }));
  expect(created.status).toBe(201);
  const now = await events(`entity=Task/${created.body.id}`);
  expect(now).toHaveLength(1);
  expect(now[0]).toMatchObject({ action: 'C', outcome: '0', subtype: [{ code: 'create' }] });
  expect(whatOf(now[0])).toEqual([`Task/${created.body.id}/_history/1`, 'Patient/pat-a']);
});

test('a transaction that fails leaves no audit of the writes it rolled back, and a failure event', async () => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Task', id: 'tx-ok', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' } }, request: { method: 'PUT', url: 'Task/tx-ok' } },
      // A stale If-Match fails the second entry (412), and with it the whole transaction.
      { resource: { resourceType: 'Task', id: 'task-a2', status: 'completed', intent: 'order', for: { reference: 'Patient/pat-a' } }, request: { method: 'PUT', url: 'Task/task-a2', ifMatch: 'W/"99"' } },
    ],
  };
  const res = await system('/', json('POST', bundle));
  expect(res.status).toBe(412);
  expect((await system('/Task/tx-ok')).status).toBe(404);
  await eventually(() => events('subtype=transaction&outcome=4'), (list) => list.length > 0);
  // The failure event names what was attempted; no event says it succeeded.
  expect(await events('entity=Task/tx-ok&outcome=0')).toHaveLength(0);
});

test('reading and searching the public library is not patient data and is not audited', async () => {
  expect((await secure.as(undefined)('/PlanDefinition/foraminotomy')).status).toBe(200);
  expect((await secure.as(undefined)('/PlanDefinition?status=active')).status).toBe(200);
  // A protected read after them: once its event is there, theirs would be too.
  expect((await system('/CarePlan/cp-b')).status).toBe(200);
  await eventually(() => events('entity=CarePlan/cp-b&subtype=read'), (list) => list.length > 0);
  const all = await events('_count=500');
  expect(all.filter((e) => e.outcomeDesc?.includes('/fhir/PlanDefinition'))).toEqual([]);
});

test('the trail is readable only with a scope that names AuditEvent', async () => {
  expect((await system('/AuditEvent')).status).toBe(403);
  expect((await secure.as(await secure.token({ scope: 'user/*.rs' }))('/AuditEvent')).status).toBe(403);
  expect((await secure.as(undefined)('/AuditEvent')).status).toBe(401);
  expect((await auditor('/AuditEvent')).status).toBe(200);
});

test('a patient sees the audit of their own data only', async () => {
  expect((await system('/Task/task-a1')).status).toBe(200);
  await eventually(() => events('entity=Task/task-a1&subtype=read'), (list) => list.length > 0);
  const res = await patientA('/AuditEvent?_count=500');
  expect(res.status).toBe(200);
  const mine: AuditEvent[] = res.body.entry.map((e: { resource: AuditEvent }) => e.resource);
  expect(mine.length).toBeGreaterThan(0);
  for (const event of mine) {
    const people = [...whatOf(event), ...event.agent.map((a) => a.who?.reference)].filter((r) => r?.startsWith('Patient/'));
    expect(people).toContain('Patient/pat-a');
  }
  expect(mine.some((e) => whatOf(e).includes('Task/task-a1'))).toBe(true);
  expect(mine.some((e) => whatOf(e).includes('Task/task-b1'))).toBe(false);
});
