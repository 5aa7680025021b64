/**
 * Runs every curl command of docs/fhir-interactions.md, in order, against a server with the
 * library loaded: each answers the status its comment announces (200 unless a comment starts
 * with another code), PUT 200 or 201.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOC_BASE, parseExamples } from '../../support/doc-examples';
import { startTestServer, type TestServer } from '../../support/test-server';

const examples = parseExamples(readFileSync(path.join(__dirname, '../../../docs/fhir-interactions.md'), 'utf8'));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
}, 120_000);
afterAll(async () => {
  await server.close();
});

test('the document has examples of each interaction', () => {
  expect(examples.map((e) => e.method)).toEqual(expect.arrayContaining(['PUT', 'PATCH', 'GET']));
});

test.each(examples.map((e, i) => [`${i} ${e.method} ${e.url.slice(DOC_BASE.length)}`, e] as const))('%s', async (_name, example) => {
  const response = await server.fetch(`${server.base}${example.url.slice(DOC_BASE.length)}`, { method: example.method, headers: example.headers, body: example.body });
  const expected = example.method === 'PUT' ? [200, 201] : [example.expectedStatus];
  expect({ comment: example.comment, status: expected.includes(response.status) ? 'as documented' : response.status }).toEqual({ comment: example.comment, status: 'as documented' });
  if (example.expectedStatus >= 400) expect(response.body.resourceType).toBe('OperationOutcome');
});
