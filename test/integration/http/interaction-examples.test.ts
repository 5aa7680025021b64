/**
 * Runs every curl command of docs/fhir-interactions.md, in order, against a server with the
 * library loaded: each answers the status its comment announces (200 unless a comment starts
 * with another code), PUT 200 or 201.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../support/test-server';

const DOC_BASE = 'http://localhost:8080/fhir';

interface Command {
  comment: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  status: number;
}

function commands(markdown: string): Command[] {
  const out: Command[] = [];
  let comment = '';
  for (const line of markdown.split('\n').map((l) => l.trim())) {
    if (line.startsWith('# ')) comment = line;
    if (!line.startsWith('curl ')) continue;
    const url = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1]).find((q) => q.startsWith(DOC_BASE));
    if (url === undefined) throw new Error(`no URL in ${line}`);
    const headers = Object.fromEntries([...line.matchAll(/-H '([^:]+):\s*([^']*)'/g)].map((m) => [m[1].toLowerCase(), m[2]]));
    if (line.includes('--compressed')) headers['accept-encoding'] = 'deflate, gzip, br';
    const code = /^# (\d{3})\b/.exec(comment);
    out.push({ comment, method: /-X (\w+)/.exec(line)?.[1] ?? 'GET', url, headers, body: /--data '([^']*)'/.exec(line)?.[1], status: code ? Number(code[1]) : 200 });
  }
  return out;
}

const examples = commands(readFileSync(path.join(__dirname, '../../../docs/fhir-interactions.md'), 'utf8'));
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
  const expected = example.method === 'PUT' ? [200, 201] : [example.status];
  expect({ comment: example.comment, status: expected.includes(response.status) ? 'as documented' : response.status }).toEqual({ comment: example.comment, status: 'as documented' });
  if (example.status >= 400) expect(response.body.resourceType).toBe('OperationOutcome');
});
