import { startTestServer, type TestServer } from '../../support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const postBundle = (bundle: unknown) => server.fetch('/', { method: 'POST', body: JSON.stringify(bundle) });

describe('transaction', () => {
  test('resolves urn:uuid references between entries and answers a transaction-response', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:4b1ad6a6-0d6a-4a35-9c44-2b6f1c4a0001',
          resource: { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'urn:uuid:4b1ad6a6-0d6a-4a35-9c44-2b6f1c4a0002' } },
          request: { method: 'POST', url: 'Task' },
        },
        {
          fullUrl: 'urn:uuid:4b1ad6a6-0d6a-4a35-9c44-2b6f1c4a0002',
          resource: { resourceType: 'Patient', name: [{ family: 'Urn' }] },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry).toHaveLength(2);
    expect(res.body.entry[0].response.status).toBe('201 Created');
    const patientLocation: string = res.body.entry[1].response.location;
    const patientId = patientLocation.split('/')[1];
    const taskId = res.body.entry[0].response.location.split('/')[1];
    const task = await server.fetch(`/Task/${taskId}`);
    expect(task.body.for.reference).toBe(`Patient/${patientId}`);
    const byPatient = await server.fetch(`/Task?patient=Patient/${patientId}`);
    expect(byPatient.body.entry).toHaveLength(1);
  });

  test('a failing entry rolls back the whole transaction and says which entry failed', async () => {
    const before = await server.fetch('/Patient?family=Rollback&_summary=count');
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Rollback' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'x', name: [{ family: 'Rollback' }] }, request: { method: 'PUT', url: 'Patient/y' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]/);
    const after = await server.fetch('/Patient?family=Rollback&_summary=count');
    expect(after.body.total).toBe(before.body.total);
    const history = await server.fetch('/Patient/_history?_count=50');
    expect(JSON.stringify(history.body)).not.toContain('Rollback');
  });

  test('a stale If-Match inside a transaction is 412 and nothing of the transaction is kept', async () => {
    const created = await server.fetch('/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Locked' }] }) });
    const id = created.body.id;
    await server.fetch(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id, name: [{ family: 'Locked2' }] }) });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'tx-stale-marker' } }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Patient', id, name: [{ family: 'Locked3' }] }, request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 'W/"1"' } },
      ],
    });
    expect(res.status).toBe(412);
    expect((await server.fetch(`/Observation?code:text=tx-stale-marker`)).body.entry ?? []).toHaveLength(0);
    expect((await server.fetch(`/Patient/${id}`)).body.name[0].family).toBe('Locked2');
  });

  test('conditional create inside a transaction reuses the existing resource for urn references', async () => {
    const existing = await server.fetch('/Patient', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:tx', value: 'p1' }] }),
    });
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:9d0f7a4e-0000-4000-8000-000000000001',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:tx', value: 'p1' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:tx|p1' },
        },
        {
          resource: { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'urn:uuid:9d0f7a4e-0000-4000-8000-000000000001' } },
          request: { method: 'POST', url: 'Task' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    const taskId = res.body.entry[1].response.location.split('/')[1];
    expect((await server.fetch(`/Task/${taskId}`)).body.for.reference).toBe(`Patient/${existing.body.id}`);
  });
});

describe('batch', () => {
  test('entries succeed or fail on their own', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'BatchOk' }] }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/not-there' } },
        { request: { method: 'GET', url: 'Patient?family=BatchOk' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry[0].response.status).toBe('201 Created');
    expect(res.body.entry[1].response.status).toBe('404');
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(res.body.entry[2].resource.type).toBe('searchset');
    expect(res.body.entry[2].resource.entry).toHaveLength(1);
  });

  test('a Bundle of another type is refused', async () => {
    const res = await postBundle({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Bundle.type']);
  });
});

describe('Prefer: return= on a transaction or batch (R4 http.html#ops)', () => {
  const bundleOf = (type: string, family: string) => ({
    resourceType: 'Bundle',
    type,
    entry: [
      { resource: { resourceType: 'Patient', id: `prefer-${family.toLowerCase()}`, name: [{ family }] }, request: { method: 'PUT', url: `Patient/prefer-${family.toLowerCase()}` } },
      { request: { method: 'GET', url: `Patient/prefer-${family.toLowerCase()}` } },
    ],
  });
  const post = (bundle: unknown, prefer?: string) =>
    server.fetch('/', { method: 'POST', body: JSON.stringify(bundle), headers: prefer ? { prefer } : {} });

  test('by default each write entry carries the stored resource', async () => {
    const res = await post(bundleOf('transaction', 'Represented'));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource).toMatchObject({ resourceType: 'Patient', id: 'prefer-represented', meta: { versionId: '1' } });
    expect(res.body.entry[0].response).toMatchObject({ status: '201 Created', location: 'Patient/prefer-represented/_history/1', etag: 'W/"1"' });
  });

  test('return=minimal: the write entries carry only their response; a read entry keeps its resource', async () => {
    const res = await post(bundleOf('transaction', 'Minimal'), 'return=minimal');
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource).toBeUndefined();
    expect(res.body.entry[0].response).toMatchObject({ status: '201 Created', location: 'Patient/prefer-minimal/_history/1', etag: 'W/"1"' });
    expect(res.body.entry[0].response.lastModified).toEqual(expect.any(String));
    expect(res.body.entry[1].resource).toMatchObject({ resourceType: 'Patient', id: 'prefer-minimal' });
    expect((await server.fetch('/Patient/prefer-minimal')).status).toBe(200);
  });

  test('return=OperationOutcome in a batch: each write entry carries an outcome instead of the resource', async () => {
    const res = await post(bundleOf('batch', 'Outcome'), 'return=OperationOutcome');
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry[0].resource).toBeUndefined();
    expect(res.body.entry[0].response.outcome).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', diagnostics: 'Patient/prefer-outcome stored as version 1' }],
    });
  });
});
