/**
 * Runs the curl commands of docs/patient-pages.md against a server with the library loaded
 * (AUTH=off, as the quick start's examples assume), after creating the order and Task they name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../support/test-server';
import { assignment, coordinator, patient } from '../workflows/fixtures';
import { daysFromToday, order } from './patient-fixtures';

const DOC_ORIGIN = 'http://localhost:8080';
const lines = readFileSync(path.join(__dirname, '../../../docs/patient-pages.md'), 'utf8')
  .split('\n')
  // The pages and the link; the PUTs that make the Task the link names are done below in its place.
  .filter((l) => l.startsWith('curl ') && !l.startsWith('curl -s -X PUT'));

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  const post = async (body: { resourceType: string }) => (await server.fetch(`/${body.resourceType}`, { method: 'POST', body: JSON.stringify(body) })).body as { id: string };
  const p = await post(patient('Rivera', 'female'));
  const c = await post(coordinator('Nguyen'));
  const o = { id: 'example-order' };
  expect((await server.fetch('/ServiceRequest/example-order', { method: 'PUT', body: JSON.stringify({ ...order(p.id, daysFromToday(10)), id: o.id }) })).status).toBe(201);
  const put = await server.fetch('/Task/example-assignment', {
    method: 'PUT',
    body: JSON.stringify({ ...assignment(p.id, c.id, daysFromToday(-1), daysFromToday(7), `ServiceRequest/${o.id}`), id: 'example-assignment' }),
  });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await server?.close();
});

test('the document has its examples', () => {
  expect(lines.length).toBeGreaterThanOrEqual(3);
});

test.each(lines.map((l) => [l] as const))('%s', async (line) => {
  const url = /'(http:\/\/localhost:8080[^']*)'/.exec(line)![1].replace(DOC_ORIGIN, server.origin);
  const data = /--data '([^']*)'/.exec(line)?.[1];
  const headers: Record<string, string> = {};
  for (const m of line.matchAll(/-H '([^:]+):\s*([^']*)'/g)) headers[m[1].toLowerCase()] = m[2];
  const res = await fetch(url, { method: /-X (\w+)/.exec(line)?.[1] ?? 'GET', headers, body: data });
  expect(res.status).toBe(200);
  if (url.includes('$patient-link')) {
    const body = (await res.json()) as { resourceType: string; parameter: { name: string; valueUri?: string }[] };
    expect(body.resourceType).toBe('Parameters');
    expect(body.parameter.find((p) => p.name === 'url')?.valueUri).toMatch(/\/my\/questionnaire#[\w-]+\.[\w-]+\.[\w-]+$/);
  }
  if (url.includes('$patient-plan')) {
    const body = (await res.json()) as { resourceType: string; contentType: string; data: string };
    expect(body).toMatchObject({ resourceType: 'Binary', contentType: 'text/html' });
    expect(Buffer.from(body.data, 'base64').toString('utf8')).toContain('Have an MRI or CT scan');
  }
});
