/**
 * Runs the curl commands of docs/cds-hooks.md's ```text blocks (they need AUTH=off, so the
 * examples test of every ```sh block leaves them out) against a server with the library
 * and AUTH=off (as the document says), from the repository root: each answers the status its
 * comment announces (`# 404 ...`), else 200, and a hook call answers one card.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codeBlockLines, parseCurlExamples } from '../../support/curl-examples';
import { startTestServer, type TestServer } from '../../support/test-server';

const ROOT = path.join(__dirname, '../../..');
const DOC_ORIGIN = 'http://localhost:8080';

const examples = parseCurlExamples(
  // The calls signed with a JWT ($JWT) are for a server with authorization on: shown, not run here.
  codeBlockLines(readFileSync(path.join(ROOT, 'docs/cds-hooks.md'), 'utf8'), 'text').filter((l) => !l.includes('$JWT')),
  DOC_ORIGIN,
);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { AUTH: 'off', LOAD_CONTENT: 'true', BASE_URL: `${DOC_ORIGIN}/fhir` } });
});
afterAll(async () => {
  await server.close();
});

test('the document has its examples: discovery, a hook call, an unknown service, feedback', () => {
  expect(examples.map((e) => `${e.method} ${e.url.slice(DOC_ORIGIN.length)}`)).toEqual([
    'GET /cds-services',
    'POST /cds-services/procedure-education',
    'POST /cds-services/no-such-service',
    'POST /cds-services/procedure-education/feedback',
  ]);
});

test.each(examples.map((e) => [`${e.method} ${e.url.slice(DOC_ORIGIN.length)}`, e] as const))('%s', async (_name, example) => {
  const res = await server.fetch(`${server.origin}${example.url.slice(DOC_ORIGIN.length)}`, { method: example.method, headers: example.headers, body: example.body });
  expect({ comment: example.comment, status: res.status }).toEqual({ comment: example.comment, status: example.expectedStatus });
  if (example.url.endsWith('/procedure-education')) {
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].links[0].url).toBe(`${DOC_ORIGIN}/education/foraminotomy`);
  }
});
