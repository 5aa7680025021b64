/**
 * Runs every curl command of docs/search-examples.md against a server with the foraminotomy
 * library loaded (LOAD_CONTENT=true), in order: each search answers a Bundle with at least one
 * match (and included resources when it asks for them), or the 4xx its comment announces.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { parseCurlExamples } from '../../support/curl-examples';
import { startTestServer, type TestServer } from '../../support/test-server';

const DOC_BASE = 'http://localhost:8080/fhir';

const examples = parseCurlExamples(readFileSync(path.join(__dirname, '../../../docs/search-examples.md'), 'utf8').split('\n'), DOC_BASE);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
}, 120_000);

afterAll(async () => {
  await server.close();
});

test('the document has examples', () => {
  expect(examples.length).toBeGreaterThan(20);
});

test.each(examples.map((e) => [`${e.method} ${e.url.slice(DOC_BASE.length)}`, e] as const))('%s', async (_name, example) => {
  const response = await server.fetch(`${server.base}${example.url.slice(DOC_BASE.length)}`, {
    method: example.method,
    headers: example.headers,
    body: example.body,
  });
  if (example.method === 'PUT') {
    expect({ comment: example.comment, created: [200, 201].includes(response.status) }).toEqual({ comment: example.comment, created: true });
    return;
  }
  expect({ comment: example.comment, status: response.status }).toEqual({ comment: example.comment, status: example.expectedStatus });
  if (example.expectedStatus !== 200) {
    expect(response.body.resourceType).toBe('OperationOutcome');
    return;
  }
  const bundle = response.body as Bundle;
  expect(bundle.resourceType).toBe('Bundle');
  const matches = (bundle.entry ?? []).filter((e) => e.search?.mode === 'match');
  if (example.url.includes('_summary=count')) expect(bundle.total).toBeGreaterThan(0);
  else expect({ comment: example.comment, matches: matches.length > 0 }).toEqual({ comment: example.comment, matches: true });
  if (/_(rev)?include=/.test(example.url)) {
    const included = (bundle.entry ?? []).filter((e) => e.search?.mode === 'include');
    expect({ comment: example.comment, included: included.length > 0 }).toEqual({ comment: example.comment, included: true });
  }
  if (/colour=blue/.test(example.url)) expect((bundle.entry ?? []).some((e) => e.search?.mode === 'outcome')).toBe(true);
});
