import { startTestServer, type TestServer } from '../../support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const patient = (family = 'Rivera') => ({ resourceType: 'Patient', gender: 'female', name: [{ family, given: ['Ana'] }] });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  server.fetch(path, { method: 'POST', body: JSON.stringify(body), headers });
const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  server.fetch(path, { method: 'PUT', body: JSON.stringify(body), headers });

describe('create', () => {
  test('assigns an id, answers 201 with Location, ETag W/"1", Last-Modified and server meta', async () => {
    const res = await post('/Patient', { ...patient(), id: 'client-chosen', meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z' } });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.body.meta.versionId).toBe('1');
    expect(Date.parse(res.body.meta.lastUpdated)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('location')).toBe(`${server.ctx.config.baseUrl}/Patient/${res.body.id}/_history/1`);
    expect(new Date(res.headers.get('last-modified')!).getTime()).toBeGreaterThan(0);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
  });

  test('Prefer: return=minimal answers with no body; return=OperationOutcome with an outcome', async () => {
    const minimal = await post('/Patient', patient(), { prefer: 'return=minimal' });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toBeUndefined();
    expect(minimal.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    const outcome = await post('/Patient', patient(), { prefer: 'return=OperationOutcome' });
    expect(outcome.status).toBe(201);
    expect(outcome.body.resourceType).toBe('OperationOutcome');
  });

  test('conditional create with If-None-Exist returns the existing resource instead of a duplicate', async () => {
    const body = { ...patient(), identifier: [{ system: 'urn:mrn', value: 'cc-1' }] };
    const first = await post('/Patient', body, { 'if-none-exist': 'identifier=urn:mrn|cc-1' });
    expect(first.status).toBe(201);
    const second = await post('/Patient', body, { 'if-none-exist': 'identifier=urn:mrn|cc-1' });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const search = await server.fetch('/Patient?identifier=urn:mrn|cc-1');
    expect(search.body.entry).toHaveLength(1);
  });

  test('conditional create matching several resources is 412', async () => {
    await post('/Patient', { ...patient(), identifier: [{ system: 'urn:dup', value: 'x' }] });
    await post('/Patient', { ...patient(), identifier: [{ system: 'urn:dup', value: 'x' }] });
    const res = await post('/Patient', patient(), { 'if-none-exist': 'identifier=urn:dup|x' });
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('read and vread', () => {
  test('reads the current version and any earlier one', async () => {
    const created = await post('/Patient', patient('One'));
    const id = created.body.id;
    const updated = await put(`/Patient/${id}`, { ...patient('Two'), id });
    expect(updated.status).toBe(200);
    expect(updated.body.meta.versionId).toBe('2');
    expect((await server.fetch(`/Patient/${id}`)).body.name[0].family).toBe('Two');
    const v1 = await server.fetch(`/Patient/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.name[0].family).toBe('One');
    expect(v1.headers.get('etag')).toBe('W/"1"');
    expect((await server.fetch(`/Patient/${id}/_history/7`)).status).toBe(404);
  });

  test('unknown id is 404 and unknown type is 404, both with an OperationOutcome', async () => {
    const missing = await server.fetch('/Patient/does-not-exist');
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
    expect(missing.body.issue[0].code).toBe('not-found');
    const badType = await server.fetch('/Patientz/1');
    expect(badType.status).toBe(404);
    expect(badType.body.issue[0].diagnostics).toContain('Patientz');
  });

  test('_pretty=true indents the JSON; _format=json is accepted', async () => {
    const created = await post('/Patient', patient());
    const pretty = await fetch(`${server.base}/Patient/${created.body.id}?_pretty=true&_format=json`);
    expect(await pretty.text()).toContain('\n  "resourceType"');
  });
});

describe('update', () => {
  test('an update that changes nothing keeps the version', async () => {
    const created = await post('/Patient', patient());
    const id = created.body.id;
    const same = await put(`/Patient/${id}`, { ...patient(), id });
    expect(same.status).toBe(200);
    expect(same.body.meta.versionId).toBe('1');
    const history = await server.fetch(`/Patient/${id}/_history`);
    expect(history.body.entry).toHaveLength(1);
  });

  test('create-on-update uses the client id and answers 201', async () => {
    const res = await put('/Patient/chosen-id-1', { ...patient(), id: 'chosen-id-1' });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('chosen-id-1');
    expect(res.headers.get('etag')).toBe('W/"1"');
  });

  test('If-Match with a stale version is 412 and changes nothing', async () => {
    const created = await post('/Patient', patient('Before'));
    const id = created.body.id;
    await put(`/Patient/${id}`, { ...patient('Middle'), id }, { 'if-match': 'W/"1"' });
    const stale = await put(`/Patient/${id}`, { ...patient('Stale'), id }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await server.fetch(`/Patient/${id}`)).body.name[0].family).toBe('Middle');
  });

  test('concurrent updates with the same If-Match: exactly one wins', async () => {
    const created = await post('/Patient', patient('Start'));
    const id = created.body.id;
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(`/Patient/${id}`, { ...patient(`Writer${i}`), id }, { 'if-match': 'W/"1"' })),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(7);
    const current = await server.fetch(`/Patient/${id}`);
    expect(current.body.meta.versionId).toBe('2');
  });

  test('concurrent updates without If-Match all land as distinct versions', async () => {
    const created = await post('/Patient', patient('Start'));
    const id = created.body.id;
    const attempts = await Promise.all(Array.from({ length: 6 }, (_, i) => put(`/Patient/${id}`, { ...patient(`W${i}`), id })));
    const versions = attempts.map((a) => a.body.meta.versionId).sort();
    expect(new Set(versions).size).toBe(6);
    expect((await server.fetch(`/Patient/${id}`)).body.meta.versionId).toBe('7');
  });

  test('a body whose id or type disagrees with the URL is 400 with an expression', async () => {
    const created = await post('/Patient', patient());
    const wrongId = await put(`/Patient/${created.body.id}`, { ...patient(), id: 'other' });
    expect(wrongId.status).toBe(400);
    expect(wrongId.body.issue[0].expression).toEqual(['Patient.id']);
    const wrongType = await put(`/Patient/${created.body.id}`, { resourceType: 'Observation', id: created.body.id });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.issue[0].expression).toEqual(['resourceType']);
  });

  test('conditional update updates the single match, or creates when none matches', async () => {
    const body = { ...patient('Cond'), identifier: [{ system: 'urn:cu', value: '1' }] };
    const created = await put('/Patient?identifier=urn:cu|1', body);
    expect(created.status).toBe(201);
    const updated = await put('/Patient?identifier=urn:cu|1', { ...body, gender: 'male' });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
  });
});

describe('delete', () => {
  test('deleted resources answer 410 Gone; history keeps the versions', async () => {
    const created = await post('/Patient', patient());
    const id = created.body.id;
    const del = await server.fetch(`/Patient/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const read = await server.fetch(`/Patient/${id}`);
    expect(read.status).toBe(410);
    expect(read.body.resourceType).toBe('OperationOutcome');
    const history = await server.fetch(`/Patient/${id}/_history`);
    expect(history.body.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'POST']);
    const search = await server.fetch(`/Patient?_id=${id}`);
    expect(search.body.entry ?? []).toHaveLength(0);
    // A deleted resource can be brought back by update: it gets a new version.
    const revived = await put(`/Patient/${id}`, { ...patient(), id });
    expect(revived.status).toBe(201);
    expect(revived.body.meta.versionId).toBe('3');
  });

  test('conditional delete removes the single match', async () => {
    await post('/Patient', { ...patient(), identifier: [{ system: 'urn:cd', value: '9' }] });
    const del = await server.fetch('/Patient?identifier=urn:cd|9', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await server.fetch('/Patient?identifier=urn:cd|9')).body.entry ?? []).toHaveLength(0);
  });
});

describe('history', () => {
  test('type and system history honour _count and _since and page with next links', async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) await post('/Observation', { resourceType: 'Observation', status: 'final', code: { text: `h${i}` } });
    const typeHistory = await server.fetch(`/Observation/_history?_since=${encodeURIComponent(before)}&_count=2`);
    expect(typeHistory.body.type).toBe('history');
    expect(typeHistory.body.entry).toHaveLength(2);
    const next = typeHistory.body.link.find((l: { relation: string }) => l.relation === 'next');
    expect(next).toBeDefined();
    const page2 = await server.fetch(next.url.replace(server.ctx.config.baseUrl, server.base));
    expect(page2.body.entry).toHaveLength(1);
    const system = await server.fetch(`/_history?_since=${encodeURIComponent(before)}`);
    expect(system.body.entry.length).toBeGreaterThanOrEqual(3);
    const bad = await server.fetch('/_history?_since=yesterday');
    expect(bad.status).toBe(400);
  });
});

describe('errors are OperationOutcomes', () => {
  test('malformed JSON is 400 structure', async () => {
    const res = await server.fetch('/Patient', { method: 'POST', body: '{"resourceType": "Patient", ' });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('structure');
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|SELECT/i);
  });

  test('an XML body is 415 and an XML-only Accept is 406', async () => {
    const xml = await server.fetch('/Patient', { method: 'POST', body: '<Patient/>', headers: { 'content-type': 'application/fhir+xml' } });
    expect(xml.status).toBe(415);
    expect(xml.body.resourceType).toBe('OperationOutcome');
    const accept = await server.fetch('/metadata', { headers: { accept: 'application/fhir+xml' } });
    expect(accept.status).toBe(406);
    expect(accept.body.resourceType).toBe('OperationOutcome');
    const format = await server.fetch('/metadata?_format=xml');
    expect(format.status).toBe(406);
  });

  test('a body over the size limit is 413', async () => {
    const huge = JSON.stringify({ resourceType: 'Basic', code: { text: 'x'.repeat(server.ctx.config.maxBodyBytes + 10) } });
    const res = await server.fetch('/Basic', { method: 'POST', body: huge });
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('a body that is not a resource is 400 with the location', async () => {
    const res = await post('/Patient', { name: 'no type' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['resourceType']);
  });

  test('every error carries the request id', async () => {
    const res = await server.fetch('/Patient/nope', { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.body.id).toBe('trace-123');
  });
});

describe('metadata', () => {
  test('the CapabilityStatement lists types, interactions and search parameters', async () => {
    const res = await server.fetch('/metadata');
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const task = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'Task');
    expect(task.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'create', 'update', 'delete', 'search-type', 'history-instance']));
    expect(task.searchParam.find((p: { name: string }) => p.name === 'owner').type).toBe('reference');
    expect(res.body.rest[0].interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['transaction', 'batch']));
  });
});

describe('health', () => {
  test('/healthz and /readyz answer', async () => {
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { database: string }).database).toBe(server.engine);
  });
});
