import { startTestServer, type TestServer } from '../../support/test-server';

const BASE = 'https://patient-education.dev/fhir';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });

describe('every write is validated; an invalid one changes nothing', () => {
  test('an invalid create is 422 with one issue per problem, each with its location, and nothing is stored', async () => {
    const before = await server.fetch('/Patient?_summary=count');
    const res = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', gender: 'tomato', birthDate: '1990-13-45', colour: 'blue' }));
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const expressions = res.body.issue.flatMap((i: any) => i.expression ?? []);
    expect(expressions).toEqual(expect.arrayContaining(['Patient.gender', 'Patient.birthDate']));
    expect(res.body.issue.some((i: any) => /colour/.test(i.diagnostics ?? '') || (i.expression ?? []).some((e: string) => e.includes('colour')))).toBe(true);
    const after = await server.fetch('/Patient?_summary=count');
    expect(after.body.total).toBe(before.body.total);
    const history = await server.fetch('/Patient/_history');
    expect(JSON.stringify(history.body)).not.toContain('tomato');
  });

  test('an invalid update is 422 and the stored version stays', async () => {
    const created = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', gender: 'male' }));
    const id = created.body.id;
    const res = await server.fetch(`/Patient/${id}`, json('PUT', { resourceType: 'Patient', id, gender: 'sometimes' }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Patient.gender']);
    const read = await server.fetch(`/Patient/${id}`);
    expect(read.body.meta.versionId).toBe('1');
    expect(read.body.gender).toBe('male');
  });

  test('a transaction with one invalid entry is refused whole and names the entry', async () => {
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', name: [{ family: 'TxValid' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue.some((i: any) => (i.expression ?? []).some((e: string) => e.startsWith('Bundle.entry[1]')))).toBe(true);
    expect((await server.fetch('/Patient?family=TxValid')).body.entry ?? []).toHaveLength(0);
  });

  test('education material (a url under the library base) is checked against our profile even when it does not claim it', async () => {
    const res = await server.fetch('/PlanDefinition', json('POST', { resourceType: 'PlanDefinition', status: 'draft', url: `${BASE}/PlanDefinition/unclaimed` }));
    expect(res.status).toBe(422);
    const text = JSON.stringify(res.body);
    expect(text).toContain('education-plandefinition');
    expect(res.body.issue.some((i: any) => (i.expression ?? []).includes('PlanDefinition.title'))).toBe(true);
  });

  test('a claimed profile is enforced (questionnaire-task without an owner)', async () => {
    const res = await server.fetch(
      '/Task',
      json('POST', {
        resourceType: 'Task',
        meta: { profile: [`${BASE}/StructureDefinition/questionnaire-task`] },
        status: 'requested',
        intent: 'order',
        for: { reference: 'Patient/x' },
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue.some((i: any) => (i.expression ?? []).some((e: string) => e.startsWith('Task.owner')))).toBe(true);
  });
});

describe('$validate', () => {
  test('type level: returns the problems without storing anything', async () => {
    const before = await server.fetch('/Patient?_summary=count');
    const res = await server.fetch('/Patient/$validate', json('POST', { resourceType: 'Patient', gender: 'tomato' }));
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression).toEqual(['Patient.gender']);
    expect((await server.fetch('/Patient?_summary=count')).body.total).toBe(before.body.total);
  });

  test('a valid resource: an informational outcome', async () => {
    const res = await server.fetch('/Patient/$validate', json('POST', { resourceType: 'Patient', gender: 'female' }));
    expect(res.status).toBe(200);
    expect(res.body.issue.every((i: any) => i.severity === 'information')).toBe(true);
  });

  test('Parameters with a profile: the profile is applied', async () => {
    const res = await server.fetch(
      '/Task/$validate',
      json('POST', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'resource', resource: { resourceType: 'Task', status: 'requested', intent: 'order' } },
          { name: 'profile', valueUri: `${BASE}/StructureDefinition/questionnaire-task` },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.issue.some((i: any) => i.severity === 'error')).toBe(true);
  });

  test('instance level with mode=delete on a missing resource is 404; on a stored one it is allowed', async () => {
    const created = await server.fetch('/Patient', json('POST', { resourceType: 'Patient' }));
    const ok = await server.fetch(`/Patient/${created.body.id}/$validate?mode=delete`);
    expect(ok.status).toBe(200);
    const missing = await server.fetch('/Patient/nope/$validate?mode=delete');
    expect(missing.status).toBe(404);
    const badMode = await server.fetch(`/Patient/${created.body.id}/$validate?mode=sideways`);
    expect(badMode.status).toBe(400);
  });
});

describe('the CapabilityStatement names our profiles and search parameters', () => {
  test('supportedProfile and the procedure parameter', async () => {
    const cs = await server.fetch('/metadata');
    const resource = (type: string) => cs.body.rest[0].resource.find((r: any) => r.type === type);
    expect(resource('PlanDefinition').supportedProfile).toContain(`${BASE}/StructureDefinition/education-plandefinition`);
    expect(resource('DocumentReference').supportedProfile).toContain(`${BASE}/StructureDefinition/education-documentreference`);
    expect(resource('Task').supportedProfile).toContain(`${BASE}/StructureDefinition/questionnaire-task`);
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire']) {
      const procedure = resource(type).searchParam.find((p: any) => p.name === 'procedure');
      expect(procedure).toMatchObject({ type: 'token', definition: `${BASE}/SearchParameter/procedure` });
    }
    expect(resource('PlanDefinition').operation.map((o: any) => o.name)).toEqual(expect.arrayContaining(['apply', 'validate']));
  });
});
