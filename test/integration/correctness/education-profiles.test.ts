import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Our education profiles bind education material only: a resource is checked against the
 * profiles it claims, and against our education profile when it is education material (claims
 * it, carries our education category, or has a url under the library's canonical base).
 */
const BASE = 'https://patient-education.dev/fhir';
let server: TestServer;
let patientId: string;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ family: 'Letter' }] }))).body.id;
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });
const errors = (body: any) => (body.issue ?? []).filter((i: any) => i.severity === 'error');

const clinicLetter = () => ({
  resourceType: 'DocumentReference',
  status: 'current',
  type: { coding: [{ system: 'http://loinc.org', code: '34108-1', display: 'Outpatient Note' }] },
  subject: { reference: `Patient/${patientId}` },
  content: [{ attachment: { contentType: 'application/pdf', url: 'https://clinic.example/letters/1.pdf' } }],
});

describe('plain R4 resources of the education types are checked against base R4 only', () => {
  test('a clinic letter (DocumentReference, LOINC 34108-1) is stored', async () => {
    const res = await server.fetch('/DocumentReference', json('POST', clinicLetter()));
    expect(res.status).toBe(201);
  });

  test('a hospital order set (PlanDefinition without a library url) is stored', async () => {
    const res = await server.fetch('/PlanDefinition', json('POST', { resourceType: 'PlanDefinition', status: 'draft', url: 'https://hospital.example/fhir/PlanDefinition/hip' }));
    expect(res.status).toBe(201);
  });

  test('a plain Questionnaire is stored', async () => {
    const res = await server.fetch(
      '/Questionnaire',
      json('POST', { resourceType: 'Questionnaire', status: 'active', item: [{ linkId: 'q1', type: 'string' }] }),
    );
    expect(res.status).toBe(201);
  });

  test('base R4 rules still apply to them (an unknown DocumentReference.status)', async () => {
    const res = await server.fetch('/DocumentReference', json('POST', { ...clinicLetter(), status: 'shredded' }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['DocumentReference.status']);
  });
});

describe('education material is checked against our education profile, claimed or not', () => {
  test('a PlanDefinition with a url under the library base and no title answers 422 from the education profile', async () => {
    const res = await server.fetch('/PlanDefinition', json('POST', { resourceType: 'PlanDefinition', status: 'draft', url: `${BASE}/PlanDefinition/draft-plan` }));
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('education-plandefinition');
    expect(errors(res.body).some((i: any) => (i.expression ?? []).includes('PlanDefinition.title'))).toBe(true);
  });

  test('a DocumentReference carrying our patient-education category answers 422 when it lacks what the profile requires', async () => {
    const res = await server.fetch(
      '/DocumentReference',
      json('POST', {
        ...clinicLetter(),
        category: [{ coding: [{ system: `${BASE}/CodeSystem/document-category`, code: 'patient-education' }] }],
      }),
    );
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('education-documentreference');
  });

  test('a resource claiming the education profile in meta.profile is held to it', async () => {
    const res = await server.fetch(
      '/Questionnaire',
      json('POST', {
        resourceType: 'Questionnaire',
        meta: { profile: [`${BASE}/StructureDefinition/preop-questionnaire`] },
        status: 'active',
        item: [{ linkId: 'q1', type: 'string' }],
      }),
    );
    expect(res.status).toBe(422);
    expect(errors(res.body).some((i: any) => (i.expression ?? []).includes('Questionnaire.url'))).toBe(true);
  });

  test('$validate with profile= still checks a plain resource against the education profile', async () => {
    const res = await server.fetch(
      `/DocumentReference/$validate`,
      json('POST', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'resource', resource: clinicLetter() },
          { name: 'profile', valueUri: `${BASE}/StructureDefinition/education-documentreference` },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(errors(res.body).length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).toMatch(/DocumentReference\.(category|context)/);
  });
});
