import { startTestServer, type TestServer } from '../../support/test-server';

/** Public library answers: served from memory, with ETag, Cache-Control public and 304s; patient data never public. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LIBRARY_CACHE_MAX_AGE: '120' } });
});
afterAll(async () => {
  await server.close();
});

const valueSet = (title: string) => ({
  resourceType: 'ValueSet',
  id: 'cache-plan',
  status: 'active',
  title,
  url: 'https://patient-education.dev/fhir/ValueSet/cache-plan',
});

test('a library read carries ETag and Cache-Control public, is served from memory the second time, and If-None-Match answers 304', async () => {
  expect((await server.fetch('/ValueSet/cache-plan', { method: 'PUT', body: JSON.stringify(valueSet('First')) })).status).toBe(201);
  const first = await server.fetch('/ValueSet/cache-plan');
  expect(first.status).toBe(200);
  expect(first.headers.get('cache-control')).toBe('public, max-age=120');
  expect(first.headers.get('etag')).toBe('W/"1"');
  const second = await server.fetch('/ValueSet/cache-plan');
  expect(second.headers.get('x-library-cache')).toBe('hit');
  expect(second.body).toEqual(first.body);
  const notModified = await server.fetch('/ValueSet/cache-plan', { headers: { 'if-none-match': 'W/"1"' } });
  expect(notModified.status).toBe(304);
  expect(notModified.body).toBeUndefined();
});

test('a library search has an ETag that changes when a library resource changes; the cache never serves the old answer', async () => {
  const before = await server.fetch('/ValueSet?title=First');
  expect(before.body.total ?? before.body.entry.length).toBe(1);
  const etag = before.headers.get('etag')!;
  expect(etag).toMatch(/^".+"$/);
  expect((await server.fetch('/ValueSet?title=First', { headers: { 'if-none-match': etag } })).status).toBe(304);
  expect((await server.fetch('/ValueSet/cache-plan', { method: 'PUT', body: JSON.stringify(valueSet('Second')) })).status).toBe(200);
  const read = await server.fetch('/ValueSet/cache-plan');
  expect(read.body.title).toBe('Second');
  expect(read.headers.get('x-library-cache')).toBe('miss');
  const after = await server.fetch('/ValueSet?title=First', { headers: { 'if-none-match': etag } });
  expect(after.status).toBe(200);
  expect(after.body.entry ?? []).toEqual([]);
});

test('a gzip client gets the compressed answer of the same bytes', async () => {
  await server.fetch('/ValueSet/cache-plan');
  const response = await fetch(`${server.base}/ValueSet/cache-plan`, { headers: { 'accept-encoding': 'gzip' } });
  expect(response.headers.get('content-encoding')).toBe('gzip');
  expect(((await response.json()) as { title: string }).title).toBe('Second');
});

test('patient data is never marked public', async () => {
  const patient = await server.fetch('/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Private' }] }) });
  for (const path of [`/Patient/${patient.body.id}`, '/Patient?family=Private']) {
    const answer = await server.fetch(path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control') ?? '').not.toMatch(/public/);
    expect(answer.headers.get('x-library-cache')).toBeNull();
  }
});
