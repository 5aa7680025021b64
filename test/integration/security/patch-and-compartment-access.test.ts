/**
 * PATCH and compartment search under authorization: a patch is an update (scope `u`, the
 * patient's compartment, audited); a compartment search is a search of its type, narrowed to
 * what the token reaches.
 */
import type { AuditEvent, Bundle } from 'fhir/r4';
import { eventually, startSecureServer, type SecureServer } from './security-helpers';
import { seed } from './seed';

let secure: SecureServer;
beforeAll(async () => {
  secure = await startSecureServer({ LOAD_CONTENT: 'false' });
  await seed(secure);
});
afterAll(async () => {
  await secure.close();
});

const patch = (body: unknown) => ({ method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: JSON.stringify(body) });
const ids = (bundle: Bundle) => (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource!.id).sort();

test('PATCH needs a token, then the update scope, and stays within the patient\'s compartment', async () => {
  const ops = [{ op: 'replace', path: '/status', value: 'in-progress' }];
  expect((await secure.as(undefined)('/Task/task-a1', patch(ops))).status).toBe(401);
  const readOnly = secure.as(await secure.token({ scope: 'system/Task.rs' }));
  expect((await readOnly('/Task/task-a1', patch(ops))).status).toBe(403);
  const patientA = secure.as(await secure.token({ scope: 'patient/Task.rus', patient: 'pat-a' }));
  // Outside the grant: refused as the same update (PUT) would be.
  expect((await patientA('/Task/task-b1', patch(ops))).status).toBe(403);
  // Moving a Task into another patient's compartment is refused like the same update.
  expect((await patientA('/Task/task-a1', patch([{ op: 'replace', path: '/for/reference', value: 'Patient/pat-b' }]))).status).toBe(403);
  const done = await patientA('/Task/task-a1', patch(ops));
  expect(done.status).toBe(200);
  expect(done.body.status).toBe('in-progress');
  const admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
  expect((await admin('/Task/task-b1')).body.status).toBe('requested');
  const auditor = secure.as(await secure.token({ scope: 'system/AuditEvent.rs' }));
  const audit = await eventually(
    () => auditor('/AuditEvent?entity=Task/task-a1'),
    (r) => (r.body.entry ?? []).some((e: { resource: AuditEvent }) => e.resource.action === 'U'),
  );
  expect(audit.status).toBe(200);
});

test('a compartment search needs the search scope of its type and shows only what the token reaches', async () => {
  expect((await secure.as(undefined)('/Patient/pat-a/Task')).status).toBe(401);
  const carePlansOnly = secure.as(await secure.token({ scope: 'system/CarePlan.rs' }));
  expect((await carePlansOnly('/Patient/pat-a/Task')).status).toBe(403);
  const system = secure.as(await secure.token({ scope: 'system/Task.rs' }));
  expect(ids((await system('/Patient/pat-a/Task')).body as Bundle)).toEqual(['task-a1', 'task-a2', 'task-a3']);
  const patientA = secure.as(await secure.token({ scope: 'patient/Task.rs', patient: 'pat-a' }));
  expect(ids((await patientA('/Patient/pat-a/Task')).body as Bundle)).toEqual(['task-a1', 'task-a2', 'task-a3']);
  expect(ids((await patientA('/Patient/pat-b/Task')).body as Bundle)).toEqual([]);
});
