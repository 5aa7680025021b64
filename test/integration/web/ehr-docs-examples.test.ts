/**
 * Runs every curl command of docs/terminology.md and docs/infobutton.md, in order, against a
 * server with the library loaded: each answers the status its comment announces (`# 400: …`,
 * `# 302: …`), else 200 (PUT 200/201, DELETE 200/204); an error is an OperationOutcome.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../support/test-server';

const DOC_ORIGIN = 'http://localhost:8080';

interface Example {
  doc: string;
  comment: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  expectedStatus: number | undefined;
}

function parseExamples(doc: string): Example[] {
  const markdown = readFileSync(path.join(__dirname, '../../../docs', doc), 'utf8');
  const examples: Example[] = [];
  let comment = '';
  let inShell = false;
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('```')) inShell = line === '```sh';
    if (!inShell) continue;
    if (line.startsWith('# ')) comment = line;
    if (!line.startsWith('curl ')) continue;
    const url = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1]).find((q) => q.startsWith(DOC_ORIGIN));
    if (url === undefined) throw new Error(`no URL in ${line}`);
    const headers: Record<string, string> = {};
    for (const m of line.matchAll(/-H '([^:]+):\s*([^']*)'/g)) headers[m[1].toLowerCase()] = m[2];
    const body = /--data '([^']*)'/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? (body !== undefined ? 'POST' : 'GET');
    const status = /^# (\d{3})\b/.exec(comment);
    examples.push({ doc, comment, method, url, headers, body, expectedStatus: status ? Number(status[1]) : undefined });
  }
  return examples;
}

const examples = [...parseExamples('terminology.md'), ...parseExamples('infobutton.md')];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
}, 120_000);
afterAll(async () => {
  await server.close();
});

test('the documents have examples', () => {
  expect(examples.filter((e) => e.doc === 'terminology.md').length).toBeGreaterThan(8);
  expect(examples.filter((e) => e.doc === 'infobutton.md').length).toBeGreaterThan(4);
});

test.each(examples.map((e) => [`${e.doc}: ${e.method} ${e.url.slice(DOC_ORIGIN.length)}`, e] as const))('%s', async (_name, example) => {
  const origin = server.base.replace(/\/fhir$/, '');
  const response = await fetch(`${origin}${example.url.slice(DOC_ORIGIN.length)}`, {
    method: example.method,
    headers: { ...(example.body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...example.headers },
    body: example.body,
    redirect: 'manual',
  });
  const expected =
    example.expectedStatus !== undefined ? [example.expectedStatus] : example.method === 'PUT' ? [200, 201] : example.method === 'DELETE' ? [200, 204] : [200];
  expect({ comment: example.comment, status: expected.includes(response.status) }).toEqual({ comment: example.comment, status: true });
  const text = await response.text();
  if (response.status >= 400) expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
  if (response.status === 302) expect(response.headers.get('location')).toMatch(/\/education\/foraminotomy$/);
  if (response.status === 200 && example.url.includes('/fhir/PlanDefinition?')) expect(JSON.parse(text).entry?.length).toBeGreaterThan(0);
});
