import type { Bundle } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('Patient compartment search and the Allow header of 405 answers', () => {
  let server: TestServer;
  let ann: string;
  let bob: string;
  beforeAll(async () => {
    server = await startTestServer();
    const create = async (body: object): Promise<string> => {
      const r = await server.fetch(`/${(body as { resourceType: string }).resourceType}`, { method: 'POST', body: JSON.stringify(body) });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    ann = await create({ resourceType: 'Patient', name: [{ family: 'Ann' }] });
    bob = await create({ resourceType: 'Patient', name: [{ family: 'Bob' }], link: [{ other: { reference: `Patient/${ann}` }, type: 'seealso' }] });
    const observation = (subject: string, code: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code }] },
      subject: { reference: `Patient/${subject}` },
    });
    await create(observation(ann, '8867-4'));
    await create(observation(ann, '8310-5'));
    await create(observation(bob, '8867-4'));
    await create({ resourceType: 'Observation', status: 'final', code: { text: 'elsewhere' }, subject: { reference: `http://elsewhere.example/fhir/Patient/${ann}` } });
    await create({ resourceType: 'Condition', subject: { reference: `Patient/${ann}` }, code: { text: 'neck pain' } });
  });
  afterAll(async () => {
    await server.close();
  });

  const ids = (bundle: Bundle) => (bundle.entry ?? []).map((e) => e.resource!.id).sort();

  it('finds the resources of a type in the patient\'s compartment, and no other patient\'s', async () => {
    const all = await server.fetch(`/Patient/${ann}/Observation`);
    expect(all.status).toBe(200);
    expect(all.body.resourceType).toBe('Bundle');
    expect(all.body.entry).toHaveLength(2);
    for (const e of all.body.entry) expect(e.resource.subject.reference).toBe(`Patient/${ann}`);
    expect(all.body.link.find((l: { relation: string }) => l.relation === 'self').url).toContain(`Patient/${ann}/Observation`);
    const bobs = await server.fetch(`/Patient/${bob}/Observation`);
    expect(bobs.body.entry).toHaveLength(1);
    expect((await server.fetch('/metadata')).body.rest[0].compartment).toEqual(['http://hl7.org/fhir/CompartmentDefinition/patient']);
    expect((await server.fetch(`/Patient/${ann}/Condition`)).body.entry).toHaveLength(1);
  });

  it('combines the compartment with ordinary search parameters', async () => {
    const filtered = await server.fetch(`/Patient/${ann}/Observation?code=http://loinc.org|8310-5`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.entry).toHaveLength(1);
    expect(filtered.body.entry[0].resource.code.coding[0].code).toBe('8310-5');
    const counted = await server.fetch(`/Patient/${ann}/Observation?_summary=count`);
    expect(counted.body.total).toBe(2);
  });

  it('holds the patient itself and the patients linked to it in the Patient compartment', async () => {
    const patients = await server.fetch(`/Patient/${ann}/Patient`);
    expect(ids(patients.body as Bundle)).toEqual([ann, bob].sort());
  });

  it('answers 400 for a type outside the Patient compartment, 404 for an unknown type', async () => {
    const outside = await server.fetch(`/Patient/${ann}/Organization`);
    expect(outside.status).toBe(400);
    expect(outside.body.issue[0].diagnostics).toMatch(/not in the Patient compartment/);
    expect((await server.fetch(`/Patient/${ann}/Nonsense`)).status).toBe(404);
    expect((await server.fetch(`/Patient/${ann}/Observation?bogus=1`, { headers: { prefer: 'handling=strict' } })).status).toBe(400);
  });

  it.each([
    ['POST', '/Patient/1', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['PUT', '/metadata', 'GET, HEAD'],
    ['DELETE', '/Patient/1/_history/1', 'GET, HEAD'],
    ['POST', `/Patient/1/Observation`, 'GET, HEAD'],
    ['PUT', '/Patient/1/x/y/z/w', ''],
    ['DELETE', '/$reindex', 'GET, HEAD, POST'],
    ['PUT', '/Patient/$validate', 'GET, HEAD, POST'],
    ['POST', '/_history', 'GET, HEAD'],
  ])('a 405 for %s %s carries Allow: %s', async (method, path, allow) => {
    const r = await server.fetch(path, { method, body: method === 'DELETE' ? undefined : '{}' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe(allow);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });

  it('a search by GET at _search, and a HEAD of an operation that changes state, answer 405', async () => {
    const search = await server.fetch('/Patient/_search');
    expect(search.status).toBe(405);
    expect(search.headers.get('allow')).toBe('POST');
    const head = await server.fetch('/$reindex', { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('POST');
  });

  it('a path that is not valid percent-encoding answers 400 with an OperationOutcome', async () => {
    const r = await server.fetch('/Patient/%E0%A4%A');
    expect(r.status).toBe(400);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });

  it('a GET of an operation that changes state answers 405 with Allow: POST', async () => {
    const r = await server.fetch('/$reindex');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });
});
