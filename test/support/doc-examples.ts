/** The curl commands of a document's examples (docs/*.md), run by the tests against a real server. */
export const DOC_BASE = 'http://localhost:8080/fhir';

export interface Example {
  /** The last `# …` comment above the command; one starting with a status code announces it. */
  comment: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  expectedStatus: number;
}

export function parseExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  let comment = '';
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') && !line.startsWith('##')) comment = line;
    if (!line.startsWith('curl ')) continue;
    const quoted = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    const url = quoted.find((q) => q.startsWith(DOC_BASE));
    if (url === undefined) throw new Error(`no URL in ${line}`);
    const headers: Record<string, string> = {};
    for (const m of line.matchAll(/-H '([^:]+):\s*([^']*)'/g)) headers[m[1].toLowerCase()] = m[2];
    if (line.includes('--compressed')) headers['accept-encoding'] = 'deflate, gzip, br';
    const data = /--data '([^']*)'/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? (data !== undefined ? 'POST' : 'GET');
    const status = /^# (\d{3})\b/.exec(comment);
    examples.push({ comment, method, url, headers, body: data, expectedStatus: status ? Number(status[1]) : 200 });
  }
  return examples;
}
