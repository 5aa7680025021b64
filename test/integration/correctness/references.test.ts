import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * References on write: a relative reference to a resource that does not exist answers 422
 * (referential integrity, REFERENTIAL_INTEGRITY, on by default); a transaction's urn:uuid:
 * reference to no entry of the Bundle answers 400. Nothing is written in either case.
 */
let server: TestServer;
let patientId: string;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ family: 'Referenced' }] }))).body.id;
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });
const task = (forReference: string) => ({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: forReference } });

async function taskCount(): Promise<number> {
  return (await server.fetch('/Task?_summary=count')).body.total;
}

describe('referential integrity on write', () => {
  test('Task.for = Patient/123 with no Patient 123 answers 422 naming Task.for.reference; nothing stored', async () => {
    const before = await taskCount();
    const res = await server.fetch('/Task', json('POST', task('Patient/123')));
    expect(res.status).toBe(422);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'not-found', expression: ['Task.for.reference'] });
    expect(res.body.issue[0].diagnostics).toContain('Patient/123');
    expect(await taskCount()).toBe(before);
  });

  test('a reference to an existing Patient is stored', async () => {
    expect((await server.fetch('/Task', json('POST', task(`Patient/${patientId}`)))).status).toBe(201);
  });

  test('a reference to a deleted Patient answers 422', async () => {
    const gone = (await server.fetch('/Patient', json('POST', { resourceType: 'Patient' }))).body.id;
    expect((await server.fetch(`/Patient/${gone}`, { method: 'DELETE' })).status).toBeLessThan(300);
    expect((await server.fetch('/Task', json('POST', task(`Patient/${gone}`)))).status).toBe(422);
  });

  test('an update that adds a dangling reference answers 422 and keeps the stored version', async () => {
    const created = (await server.fetch('/Task', json('POST', task(`Patient/${patientId}`)))).body;
    const res = await server.fetch(`/Task/${created.id}`, json('PUT', { ...created, owner: { reference: 'Practitioner/nobody' } }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Task.owner.reference']);
    expect((await server.fetch(`/Task/${created.id}`)).body.meta.versionId).toBe('1');
  });

  test('absolute URLs, urn:, contained references and canonicals are not checked', async () => {
    const res = await server.fetch(
      '/Task',
      json('POST', {
        resourceType: 'Task',
        status: 'requested',
        intent: 'order',
        contained: [{ resourceType: 'Practitioner', id: 'p1' }],
        for: { reference: 'https://other.example/fhir/Patient/9' },
        owner: { reference: '#p1' },
        focus: { reference: 'urn:oid:1.2.3' },
        instantiatesCanonical: 'https://patient-education.dev/fhir/PlanDefinition/nothing-here',
      }),
    );
    expect(res.status).toBe(201);
  });

  test('entries of a transaction may refer to each other in any order', async () => {
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: task('Patient/tx-later'), request: { method: 'POST', url: 'Task' } },
          { resource: { resourceType: 'Patient', id: 'tx-later' }, request: { method: 'PUT', url: 'Patient/tx-later' } },
        ],
      }),
    );
    expect(res.status).toBe(200);
  });

  test('a transaction whose entry refers to a missing resource is refused whole, naming the entry', async () => {
    const before = await taskCount();
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: task(`Patient/${patientId}`), request: { method: 'POST', url: 'Task' } },
          { resource: task('Patient/never'), request: { method: 'POST', url: 'Task' } },
        ],
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1].Task.for.reference']);
    expect(await taskCount()).toBe(before);
  });
});

describe('the setting turns it off', () => {
  test('with REFERENTIAL_INTEGRITY=false a dangling reference is stored', async () => {
    const lax = await startTestServer({ env: { REFERENTIAL_INTEGRITY: 'false' } });
    try {
      expect((await lax.fetch('/Task', json('POST', task('Patient/123')))).status).toBe(201);
    } finally {
      await lax.close();
    }
  });
});

describe('urn:uuid: references in a transaction must name an entry', () => {
  test('a reference to a urn:uuid: that no entry defines answers 400 naming where; nothing written', async () => {
    const before = await taskCount();
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:2b3c4d5e-0000-4000-8000-000000000001',
            resource: { resourceType: 'Patient' },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: task('urn:uuid:2b3c4d5e-0000-4000-8000-00000000dead'),
            request: { method: 'POST', url: 'Task' },
          },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1].resource.for.reference']);
    expect(res.body.issue[0].diagnostics).toContain('urn:uuid:2b3c4d5e-0000-4000-8000-00000000dead');
    expect(await taskCount()).toBe(before);
  });

  test('a urn:uuid: defined by an entry resolves', async () => {
    const urn = 'urn:uuid:2b3c4d5e-0000-4000-8000-000000000002';
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: task(urn), request: { method: 'POST', url: 'Task' } },
          { fullUrl: urn, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    expect(res.status).toBe(200);
  });
});
