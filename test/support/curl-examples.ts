import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A curl command of a document, as a request to replay against a test server. */
export interface CurlExample {
  /** The last `# ...` comment line before it (`# 404 ...` announces the status). */
  comment: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  expectedStatus: number;
}

const ROOT = path.join(__dirname, '../..');

/**
 * The single-line `curl` commands among `lines` whose quoted URL starts with `urlPrefix`:
 * method (`-X`, else POST with `--data`), `-H` headers (`--compressed` asks for compression), the body (`--data '...'`, or
 * `--data @file` read from the repository root) and the status the comment before announces.
 */
export function parseCurlExamples(lines: string[], urlPrefix: string): CurlExample[] {
  const examples: CurlExample[] = [];
  let comment = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#') && !line.startsWith('##')) comment = line;
    if (!line.startsWith('curl ')) continue;
    const url = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1]).find((q) => q.startsWith(urlPrefix));
    if (url === undefined) throw new Error(`no URL in ${line}`);
    const headers: Record<string, string> = {};
    for (const m of line.matchAll(/-H '([^:]+):\s*([^']*)'/g)) headers[m[1].toLowerCase()] = m[2];
    if (line.includes('--compressed')) headers['accept-encoding'] = 'deflate, gzip, br';
    const file = /--data @(\S+)/.exec(line)?.[1];
    const data = file !== undefined ? readFileSync(path.join(ROOT, file), 'utf8') : /--data '([^']*)'/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? (data !== undefined ? 'POST' : 'GET');
    const status = /^# (\d{3})\b/.exec(comment);
    examples.push({ comment, method, url, headers, body: data, expectedStatus: status ? Number(status[1]) : 200 });
  }
  return examples;
}

/** The lines of the fenced code blocks of one language (```sh by default) of a Markdown text. */
export function codeBlockLines(markdown: string, language = 'sh'): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].flatMap((m) => m[1].split('\n'));
}
