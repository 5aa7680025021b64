import type { Patient } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';

const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

function fhirPathPatch(...operations: Array<Record<string, unknown>>) {
  return {
    resourceType: 'Parameters',
    parameter: operations.map((op) => ({
      name: 'operation',
      part: Object.entries(op).map(([name, value]) => {
        if (name === 'type') return { name, valueCode: value };
        if (name === 'index' || name === 'source' || name === 'destination') return { name, valueInteger: value };
        if (name === 'value') return { name, ...(value as object) };
        return { name, valueString: value };
      }),
    })),
  };
}

describe('PATCH (JSON Patch and FHIRPath Patch)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function createPatient(body: Partial<Patient> = {}): Promise<Patient> {
    const created = await server.fetch('/Patient', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Patient', active: true, name: [{ family: 'Lee', given: ['Ana'] }], birthDate: '1970-05-01', ...body }),
    });
    expect(created.status).toBe(201);
    return created.body as Patient;
  }

  it('applies a JSON Patch to an instance as a new version, with test, add, replace and remove', async () => {
    const patient = await createPatient();
    const patched = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      headers: JSON_PATCH,
      body: JSON.stringify([
        { op: 'test', path: '/name/0/family', value: 'Lee' },
        { op: 'replace', path: '/birthDate', value: '1971-06-02' },
        { op: 'add', path: '/name/0/given/-', value: 'Maria' },
        { op: 'remove', path: '/active' },
      ]),
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('W/"2"');
    expect(patched.body).toMatchObject({ birthDate: '1971-06-02', name: [{ family: 'Lee', given: ['Ana', 'Maria'] }], meta: { versionId: '2' } });
    expect(patched.body.active).toBeUndefined();
    const read = await server.fetch(`/Patient/${patient.id}`);
    expect(read.body.birthDate).toBe('1971-06-02');
  });

  it('honours If-Match: a patch against an older version answers 412 and changes nothing', async () => {
    const patient = await createPatient();
    const body = JSON.stringify([{ op: 'replace', path: '/birthDate', value: '1980-01-01' }]);
    const stale = await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', headers: { ...JSON_PATCH, 'if-match': 'W/"7"' }, body });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await server.fetch(`/Patient/${patient.id}`)).body.birthDate).toBe('1970-05-01');
    const current = await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', headers: { ...JSON_PATCH, 'if-match': 'W/"1"' }, body });
    expect(current.status).toBe(200);
    expect(current.body.birthDate).toBe('1980-01-01');
  });

  it('validates the patched resource like an update: an invalid result is 422 and nothing is written', async () => {
    const patient = await createPatient();
    const impossibleDate = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      headers: JSON_PATCH,
      body: JSON.stringify([{ op: 'replace', path: '/birthDate', value: 'yesterday' }]),
    });
    expect(impossibleDate.status).toBe(422);
    const unknown = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      headers: JSON_PATCH,
      body: JSON.stringify([{ op: 'add', path: '/colour', value: 'blue' }]),
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const read = await server.fetch(`/Patient/${patient.id}`);
    expect(read.body.meta.versionId).toBe('1');
    expect(read.body.colour).toBeUndefined();
  });

  it('refuses malformed patches with 400, failed tests and missing paths with 422, a changed id with 422', async () => {
    const patient = await createPatient();
    const send = (body: unknown) => server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', headers: JSON_PATCH, body: JSON.stringify(body) });
    expect((await send({ op: 'add' })).status).toBe(400);
    expect((await send([{ op: 'frobnicate', path: '/a' }])).status).toBe(400);
    expect((await send([{ op: 'test', path: '/birthDate', value: '1900-01-01' }])).status).toBe(422);
    expect((await send([{ op: 'replace', path: '/name/5/family', value: 'X' }])).status).toBe(422);
    expect((await send([{ op: 'replace', path: '/id', value: 'other' }])).status).toBe(422);
    const tooMany = await send(Array.from({ length: 101 }, () => ({ op: 'test', path: '/id', value: patient.id })));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issue[0].code).toBe('too-costly');
    expect((await server.fetch(`/Patient/${patient.id}`)).body.meta.versionId).toBe('1');
    const noType = await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: '[]' });
    expect(noType.status).toBe(415);
  });

  it('answers 404 for a patch of an unknown resource and 410 for a deleted one', async () => {
    const body = JSON.stringify([{ op: 'replace', path: '/active', value: false }]);
    expect((await server.fetch('/Patient/nobody-here', { method: 'PATCH', headers: JSON_PATCH, body })).status).toBe(404);
    const patient = await createPatient();
    expect((await server.fetch(`/Patient/${patient.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', headers: JSON_PATCH, body })).status).toBe(410);
  });

  it('applies a FHIRPath Patch (add, insert, replace, move, delete) sent as a Parameters body', async () => {
    const patient = await createPatient({ telecom: [{ system: 'phone', value: '1' }, { system: 'phone', value: '2' }] });
    const patched = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      body: JSON.stringify(
        fhirPathPatch(
          { type: 'replace', path: 'Patient.birthDate', value: { valueDate: '1972-07-03' } },
          { type: 'add', path: 'Patient', name: 'gender', value: { valueCode: 'female' } },
          { type: 'add', path: 'Patient', name: 'identifier', value: { valueIdentifier: { system: 'urn:x', value: 'A1' } } },
          { type: 'insert', path: 'Patient.name[0].given', index: 0, value: { valueString: 'Dr' } },
          { type: 'move', path: 'Patient.telecom', source: 1, destination: 0 },
          { type: 'delete', path: "Patient.telecom.where(value='1')" },
          { type: 'delete', path: 'Patient.active' },
          { type: 'add', path: 'Patient', name: 'contact', value: { part: [{ name: 'gender', valueCode: 'male' }, { name: 'telecom', valueContactPoint: { system: 'phone', value: '3' } }] } },
        ),
      ),
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      birthDate: '1972-07-03',
      gender: 'female',
      identifier: [{ system: 'urn:x', value: 'A1' }],
      name: [{ given: ['Dr', 'Ana'] }],
      telecom: [{ system: 'phone', value: '2' }],
      contact: [{ gender: 'male', telecom: [{ system: 'phone', value: '3' }] }],
    });
    expect(patched.body.active).toBeUndefined();
  });

  it('refuses a FHIRPath Patch whose path is ambiguous (422) or that is not well formed (400)', async () => {
    const patient = await createPatient({ name: [{ family: 'A' }, { family: 'B' }] });
    const ambiguous = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      body: JSON.stringify(fhirPathPatch({ type: 'replace', path: 'Patient.name.family', value: { valueString: 'C' } })),
    });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.issue[0].diagnostics).toMatch(/matches 2/);
    const noValue = await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', body: JSON.stringify(fhirPathPatch({ type: 'replace', path: 'Patient.birthDate' })) });
    expect(noValue.status).toBe(400);
    const notParameters = await server.fetch(`/Patient/${patient.id}`, { method: 'PATCH', body: JSON.stringify({ resourceType: 'Patient' }) });
    expect(notParameters.status).toBe(400);
    const badPath = await server.fetch(`/Patient/${patient.id}`, {
      method: 'PATCH',
      body: JSON.stringify(fhirPathPatch({ type: 'delete', path: 'Patient.name[' })),
    });
    expect(badPath.status).toBe(400);
    expect((await server.fetch(`/Patient/${patient.id}`)).body.meta.versionId).toBe('1');
  });

  it('patches conditionally: one match is patched, none is 404, several is 412', async () => {
    const family = `Cond${Date.now()}`;
    const patient = await createPatient({ name: [{ family }] });
    const body = JSON.stringify([{ op: 'replace', path: '/active', value: false }]);
    const one = await server.fetch(`/Patient?family=${family}`, { method: 'PATCH', headers: JSON_PATCH, body });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: patient.id, active: false });
    expect((await server.fetch(`/Patient?family=Nobody${family}`, { method: 'PATCH', headers: JSON_PATCH, body })).status).toBe(404);
    await createPatient({ name: [{ family }] });
    expect((await server.fetch(`/Patient?family=${family}`, { method: 'PATCH', headers: JSON_PATCH, body })).status).toBe(412);
  });

  it('lists patch among the interactions of every type in the CapabilityStatement', async () => {
    const metadata = await server.fetch('/metadata');
    const patient = metadata.body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.interaction.map((i: { code: string }) => i.code)).toContain('patch');
    expect(metadata.body.patchFormat).toEqual(['application/json-patch+json', 'application/fhir+json']);
  });
});
