/**
 * Another patient's resources cannot make a patient's own searches fail: the compartment of a
 * `patient/` grant is one condition on the reference index, not a list of ids that 10,050 Tasks
 * pointing at the patient (written by someone else, here a system client) would push past the
 * server's materialization limit of 10,000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropTestDatabase, startTestServer, TEST_DATABASE_URL } from '../../support/test-server';
import { json, startSecureServer, type SecureServer } from './security-helpers';

const PLANTED = 10_050;
let secure: SecureServer;
let dir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fhir-compartment-'));
  // The planted Tasks are written in bulk without authorization, then the same database is served with it.
  const seeding = await startTestServer({ pgliteDir: TEST_DATABASE_URL ? undefined : dir, keepDatabase: true });
  for (const id of ['pat-a', 'pat-b']) expect((await seeding.fetch(`/Patient/${id}`, json('PUT', { resourceType: 'Patient', id }))).status).toBe(201);
  expect((await seeding.fetch('/Task/own-b', json('PUT', { resourceType: 'Task', id: 'own-b', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-b' } }))).status).toBe(201);
  for (let sent = 0; sent < PLANTED; sent += 1000) {
    const entry = Array.from({ length: Math.min(1000, PLANTED - sent) }, () => ({
      resource: { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, focus: { reference: 'Patient/pat-b' } },
      request: { method: 'POST', url: 'Task' },
    }));
    expect((await seeding.fetch('/', json('POST', { resourceType: 'Bundle', type: 'transaction', entry }, { prefer: 'return=minimal' }))).status).toBe(200);
  }
  await seeding.stop();
  databaseUrl = seeding.databaseUrl;
  secure = await startSecureServer({ LOAD_CONTENT: 'false' }, TEST_DATABASE_URL ? { databaseUrl: seeding.databaseUrl } : { pgliteDir: dir });
}, 600_000);
afterAll(async () => {
  await secure?.close();
  if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  rmSync(dir, { recursive: true, force: true });
});

test('a patient\'s Task search answers with 10,050 Tasks of others pointing into the compartment', async () => {
  const patientB = secure.as(await secure.token({ scope: 'patient/*.rs', patient: 'pat-b' }));
  const res = await patientB('/Task?status=requested&_count=1&_total=accurate');
  expect(res.status).toBe(200);
  expect(res.body.total).toBe(PLANTED + 1);
  const own = await patientB('/Task?_id=own-b');
  expect(own.status).toBe(200);
  expect(own.body.entry).toHaveLength(1);
});
