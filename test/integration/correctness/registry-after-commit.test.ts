import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * SearchParameters and profiles written through the API change the server's registry and its
 * CapabilityStatement only once their write commits, and leave them when deleted.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });
const strict = { headers: { prefer: 'handling=strict' } };

const nickname = (id: string, expression: string) => ({
  resourceType: 'SearchParameter',
  id,
  url: `https://hospital.example/fhir/SearchParameter/${id}`,
  name: id,
  status: 'active',
  description: 'A nickname of the patient',
  code: id,
  base: ['Patient'],
  type: 'string',
  expression,
});

async function searchParamsOfPatient(): Promise<string[]> {
  const cs = (await server.fetch('/metadata')).body;
  const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient');
  return (patient.searchParam ?? []).map((p: any) => p.name);
}

async function supportedProfiles(type: string): Promise<string[]> {
  const cs = (await server.fetch('/metadata')).body;
  return cs.rest[0].resource.find((r: any) => r.type === type)?.supportedProfile ?? [];
}

describe('SearchParameters join the registry after commit only', () => {
  test('a transaction holding a new SearchParameter and an invalid Patient changes nothing', async () => {
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: nickname('nick', 'Patient.name.given'), request: { method: 'PUT', url: 'SearchParameter/nick' } },
          { resource: { resourceType: 'Patient', gender: 'tomato' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    expect(res.status).toBe(422);
    expect((await server.fetch('/SearchParameter/nick')).status).toBe(404);
    expect((await server.fetch('/Patient?nick=Al', strict)).status).toBe(400);
    expect(await searchParamsOfPatient()).not.toContain('nick');
  });

  test('once stored it is used; an update of its expression applies; a delete withdraws it', async () => {
    expect((await server.fetch('/SearchParameter/alias', json('PUT', nickname('alias', 'Patient.name.given')))).status).toBe(201);
    expect(await searchParamsOfPatient()).toContain('alias');
    await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ given: ['Alfred'], family: 'Brown' }] }));
    const byGiven = await server.fetch('/Patient?alias=Alfred', strict);
    expect(byGiven.status).toBe(200);
    expect(byGiven.body.entry ?? []).toHaveLength(1);

    expect((await server.fetch('/SearchParameter/alias', json('PUT', nickname('alias', 'Patient.name.family')))).status).toBe(200);
    await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ given: ['Zed'], family: 'Zimmer' }] }));
    expect((await server.fetch('/Patient?alias=Zimmer', strict)).body.entry ?? []).toHaveLength(1);
    expect((await server.fetch('/Patient?alias=Zed', strict)).body.entry ?? []).toHaveLength(0);

    expect((await server.fetch('/SearchParameter/alias', { method: 'DELETE' })).status).toBeLessThan(300);
    expect((await server.fetch('/Patient?alias=Zimmer', strict)).status).toBe(400);
    expect(await searchParamsOfPatient()).not.toContain('alias');
  });

  test('an update of the expression inside a failed transaction keeps the old expression', async () => {
    expect((await server.fetch('/SearchParameter/moniker', json('PUT', nickname('moniker', 'Patient.name.given')))).status).toBe(201);
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: nickname('moniker', 'Patient.name.family'), request: { method: 'PUT', url: 'SearchParameter/moniker' } },
          { resource: { resourceType: 'Patient', gender: 'tomato' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    expect(res.status).toBe(422);
    await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ given: ['Mona'], family: 'Lisa' }] }));
    expect((await server.fetch('/Patient?moniker=Mona', strict)).body.entry ?? []).toHaveLength(1);
    expect((await server.fetch('/Patient?moniker=Lisa', strict)).body.entry ?? []).toHaveLength(0);
  });
});

describe('resource profiles join supportedProfile after commit only', () => {
  const profile = () => {
    const sd = JSON.parse(readFileSync(join(__dirname, '../../../profiles/StructureDefinition-questionnaire-task.json'), 'utf8'));
    return { ...sd, id: 'hospital-task', url: 'https://hospital.example/fhir/StructureDefinition/hospital-task', name: 'HospitalTask' };
  };

  test('a profile in a failed transaction is not listed; a stored one is; a deleted one is not', async () => {
    const failed = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: profile(), request: { method: 'PUT', url: 'StructureDefinition/hospital-task' } },
          { resource: { resourceType: 'Patient', gender: 'tomato' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    expect(failed.status).toBe(422);
    expect(await supportedProfiles('Task')).not.toContain(profile().url);

    const stored = await server.fetch('/StructureDefinition/hospital-task', json('PUT', profile()));
    expect(stored.status).toBe(201);
    expect(await supportedProfiles('Task')).toContain(profile().url);

    expect((await server.fetch('/StructureDefinition/hospital-task', { method: 'DELETE' })).status).toBeLessThan(300);
    expect(await supportedProfiles('Task')).not.toContain(profile().url);
  });
});
