/**
 * Patient links where the care team's tokens come from an external authorization server and the
 * built-in token endpoint is off (AUTH_BUILTIN_SERVER=off): the server still accepts the links
 * it signs itself, on the FHIR API as on the pages, and nothing else signed under its own issuer.
 */
import type { QuestionnaireResponse } from 'fhir/r4';
import { json, startSecureServer, type SecureServer } from '../security/security-helpers';
import { createPatientCase, makeLink } from './patient-fixtures';

let secure: SecureServer;
let admin: ReturnType<SecureServer['as']>;

beforeAll(async () => {
  secure = await startSecureServer({ AUTH_BUILTIN_SERVER: 'off' });
  admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
}, 120_000);
afterAll(async () => {
  await secure?.close();
});

test('there is no token endpoint, yet a patient link reads its Task and sends its answers through the FHIR API', async () => {
  expect((await fetch(`${secure.server.origin}/auth/token`, { method: 'POST' })).status).toBe(404);
  const c = await createPatientCase(secure, admin, { family: 'Fox' });
  const link = await makeLink(admin, c.taskId);
  const api = secure.as(link.token);
  expect((await api(`/Task/${c.taskId}`)).status).toBe(200);
  const response: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    status: 'in-progress',
    questionnaire: 'https://patient-education.dev/fhir/Questionnaire/foraminotomy-preop',
    subject: { reference: `Patient/${c.patientId}` },
  };
  expect((await api('/QuestionnaireResponse', json('POST', response))).status).toBe(201);
  // The link's token is refused once it is altered, like any token.
  const [header, payload] = link.token.split('.');
  expect((await secure.as(`${header}.${payload}.AAAA`)(`/Task/${c.taskId}`)).status).toBe(401);
});
