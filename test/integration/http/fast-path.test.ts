import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Plain GET reads and searches are answered by the fast path (src/http/fast-path.ts); the same
 * request with anything the fast path leaves alone (If-None-Match, POST _search) goes through
 * Express. Both must answer the same: status, headers, body.
 */
let server: TestServer;
let patientId: string;
beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGINS: 'https://ehr.example.org' } });
  const created = await server.fetch('/Patient', {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Fastpathson', given: ['Ana'] }] }),
  });
  expect(created.status).toBe(201);
  patientId = created.body.id;
});
afterAll(async () => {
  await server.close();
});

const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);
const headerNames = (headers: Headers) => [...headers.keys()].filter((k) => !VARYING.has(k)).sort();

test('a read answers like the Express route: same body, same headers (security block, CORS Vary, ETag)', async () => {
  const fast = await server.fetch(`/Patient/${patientId}`);
  const express = await server.fetch(`/Patient/${patientId}`, { headers: { 'if-none-match': 'W/"999"' } });
  expect(fast.status).toBe(200);
  expect(express.status).toBe(200);
  expect(fast.body).toEqual(express.body);
  expect(headerNames(fast.headers)).toEqual(headerNames(express.headers));
  for (const name of ['etag', 'last-modified', 'content-type', 'x-content-type-options', 'vary', 'access-control-expose-headers']) {
    expect(fast.headers.get(name)).toBe(express.headers.get(name));
  }
  expect(fast.headers.get('etag')).toBe('W/"1"');
  expect(fast.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('a search answers like POST _search through Express: same matches, same headers', async () => {
  const fast = await server.fetch('/Patient?family=fastpathson');
  const express = await server.fetch('/Patient/_search', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'family=fastpathson',
  });
  expect(fast.status).toBe(200);
  expect(express.status).toBe(200);
  expect(fast.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([patientId]);
  expect(fast.body.entry).toEqual(express.body.entry);
  expect(headerNames(fast.headers)).toEqual(headerNames(express.headers));
});

test('errors on the fast path are OperationOutcomes with the request id, like the Express ones', async () => {
  const missing = await server.fetch('/Patient/no-such-doc', { headers: { 'x-request-id': 'fast-404' } });
  expect(missing.status).toBe(404);
  expect(missing.body.resourceType).toBe('OperationOutcome');
  expect(missing.body.id).toBe('fast-404');
  expect(missing.headers.get('x-request-id')).toBe('fast-404');
  const viaExpress = await server.fetch('/Patient/no-such-doc', { headers: { 'x-request-id': 'fast-404', 'if-none-match': 'W/"1"' } });
  expect(missing.body).toEqual(viaExpress.body);

  const bad = await server.fetch('/Patient?birthdate=notadate');
  expect(bad.status).toBe(400);
  expect(bad.body.resourceType).toBe('OperationOutcome');
  expect(JSON.stringify(bad.body)).toContain('date');
});

test('a client asking for XML still gets 406 (the fast path leaves it to content negotiation)', async () => {
  const res = await server.fetch(`/Patient/${patientId}`, { headers: { accept: 'application/fhir+xml' } });
  expect(res.status).toBe(406);
  expect(res.body.resourceType).toBe('OperationOutcome');
});
