/**
 * Writes under patient/ and granular scopes: inside the patient's compartment they pass,
 * anything that would touch another patient's data is refused and changes nothing.
 */
import { json, refs, startSecureServer, type SecureServer } from './security-helpers';
import { seed } from './seed';

let secure: SecureServer;
let patientA: ReturnType<SecureServer['as']>;
let granular: ReturnType<SecureServer['as']>;
let admin: ReturnType<SecureServer['as']>;

const task = (patient: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Task',
  status: 'requested',
  intent: 'order',
  for: { reference: `Patient/${patient}` },
  ...extra,
});

beforeAll(async () => {
  secure = await startSecureServer();
  await seed(secure);
  patientA = secure.as(await secure.token({ scope: 'patient/*.cruds', patient: 'pat-a' }));
  granular = secure.as(await secure.token({ scope: 'patient/Task.cruds?status=requested', patient: 'pat-a' }));
  admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
});
afterAll(async () => {
  await secure.close();
});

test('creates a Task in the own compartment, not in another patient\'s', async () => {
  expect((await patientA('/Task', json('POST', task('pat-a')))).status).toBe(201);
  const refused = await patientA('/Task', json('POST', task('pat-b')));
  expect(refused.status).toBe(403);
  expect(refused.body.issue[0].code).toBe('forbidden');
  expect(refs((await admin('/Task?patient=pat-b')).body)).toEqual(['Task/task-b1']);
});

test('updates the own Task; cannot update another patient\'s nor move the own one to another patient', async () => {
  expect((await patientA('/Task/task-a1', json('PUT', task('pat-a', { id: 'task-a1', priority: 'urgent' })))).status).toBe(200);
  expect((await patientA('/Task/task-b1', json('PUT', task('pat-b', { id: 'task-b1', priority: 'urgent' })))).status).toBe(403);
  expect((await patientA('/Task/task-b1', json('PUT', task('pat-a', { id: 'task-b1' })))).status).toBe(403);
  expect((await patientA('/Task/task-a1', json('PUT', task('pat-b', { id: 'task-a1' })))).status).toBe(403);
  expect((await admin('/Task/task-b1')).body.priority).toBeUndefined();
  expect((await admin('/Task/task-a1')).body.for.reference).toBe('Patient/pat-a');
});

test('deletes the own Task, not another patient\'s', async () => {
  await admin('/Task/task-a-del', json('PUT', task('pat-a', { id: 'task-a-del' })));
  expect((await patientA('/Task/task-b1', { method: 'DELETE' })).status).toBe(403);
  expect((await admin('/Task/task-b1')).status).toBe(200);
  expect((await patientA('/Task/task-a-del', { method: 'DELETE' })).status).toBe(204);
});

test('conditional delete and update only see the grant', async () => {
  expect((await patientA('/Task?_id=task-b1', { method: 'DELETE' })).status).toBe(204);
  expect((await admin('/Task/task-b1')).status).toBe(200);
  // No match within the grant: the conditional update creates a new Task rather than touching B's.
  const created = await patientA('/Task?_id=task-b1', json('PUT', task('pat-a', { priority: 'stat' })));
  expect(created.status).toBe(201);
  expect(created.body.id).not.toBe('task-b1');
});

test('a Patient resource other than the own one cannot be created or changed', async () => {
  expect((await patientA('/Patient/pat-c', json('PUT', { resourceType: 'Patient', id: 'pat-c' }))).status).toBe(403);
  expect((await patientA('/Patient/pat-b', json('PUT', { resourceType: 'Patient', id: 'pat-b', gender: 'other' }))).status).toBe(403);
  expect((await patientA('/Patient/pat-a', json('PUT', { resourceType: 'Patient', id: 'pat-a', gender: 'female', name: [{ family: 'Adams-Smith' }] }))).status).toBe(200);
});

test('patient/ scopes never write types outside the compartment (the library)', async () => {
  expect((await patientA('/PlanDefinition/plan-x', json('PUT', { resourceType: 'PlanDefinition', id: 'plan-x', status: 'draft' }))).status).toBe(403);
  expect((await patientA('/Practitioner', json('POST', { resourceType: 'Practitioner' }))).status).toBe(403);
});

test('a granular write scope admits only resources matching its query', async () => {
  expect((await granular('/Task', json('POST', task('pat-a')))).status).toBe(201);
  expect((await granular('/Task', json('POST', task('pat-a', { status: 'draft' })))).status).toBe(403);
  expect((await granular('/Task', json('POST', task('pat-b')))).status).toBe(403);
  // task-a2 is completed: outside the query, so not updatable either.
  expect((await granular('/Task/task-a2', json('PUT', task('pat-a', { id: 'task-a2', status: 'requested' })))).status).toBe(403);
  expect((await admin('/Task/task-a2')).body.status).toBe('completed');
});

test('a transaction with one entry outside the grant is refused whole', async () => {
  const before = (await admin('/Task?_summary=count')).body.total;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:1', resource: task('pat-a'), request: { method: 'POST', url: 'Task' } },
      { fullUrl: 'urn:uuid:2', resource: task('pat-b'), request: { method: 'POST', url: 'Task' } },
    ],
  };
  const res = await patientA('/', json('POST', bundle));
  expect(res.status).toBe(403);
  expect((await admin('/Task?_summary=count')).body.total).toBe(before);
});

test('a batch answers each entry within the grant and refuses the others', async () => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { request: { method: 'GET', url: 'Task/task-a1' } },
      { request: { method: 'GET', url: 'Task/task-b1' } },
      { resource: task('pat-b'), request: { method: 'POST', url: 'Task' } },
    ],
  };
  const res = await patientA('/', json('POST', bundle));
  expect(res.status).toBe(200);
  expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['200', '404', '403']);
});

test('searches inside a batch are narrowed to the grant like direct searches', async () => {
  const search = (url: string) => ({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url } }] });
  const narrowed = await patientA('/', json('POST', search('Task?status=requested')));
  expect(narrowed.status).toBe(200);
  expect(refs(narrowed.body.entry[0].resource).sort()).toEqual(refs((await patientA('/Task?status=requested')).body).sort());
  expect((await patientA('/', json('POST', search('PlanDefinition?status=active')))).status).toBe(200);
  expect((await admin('/', json('POST', search('Task?status=requested')))).status).toBe(200);
  expect((await secure.as(undefined)('/', json('POST', search('PlanDefinition')))).status).toBe(401);
});

test('AuditEvents are append-only, whatever the scope', async () => {
  const auditor = secure.as(await secure.token({ scope: 'system/AuditEvent.cruds' }));
  expect((await admin('/Device/ehr', json('PUT', { resourceType: 'Device', id: 'ehr' }))).status).toBeLessThan(300);
  const created = await auditor('/AuditEvent', json('POST', {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    recorded: new Date().toISOString(),
    agent: [{ requestor: true, who: { reference: 'Device/ehr' } }],
    source: { observer: { reference: 'Device/ehr' } },
  }));
  expect(created.status).toBe(201);
  expect((await auditor(`/AuditEvent/${created.body.id}`, json('PUT', { ...created.body, outcome: '4' }))).status).toBe(405);
  const deleted = await auditor(`/AuditEvent/${created.body.id}`, { method: 'DELETE' });
  expect(deleted.status).toBe(405);
  expect(deleted.headers.get('allow')).toBe('GET, HEAD');
  const conditional = await auditor(`/AuditEvent?_id=${created.body.id}`, { method: 'DELETE' });
  expect(conditional.status).toBe(405);
  expect(conditional.headers.get('allow')).toBe('GET, HEAD, POST');
  expect((await auditor(`/AuditEvent/${created.body.id}`)).body.outcome).toBeUndefined();
});
