/**
 * Ingest over HTTP: POSTs the library's transaction Bundles to a running server, the education
 * library first (committed before the patient side starts, whose QuestionnaireResponses are
 * checked against it), then the rest, `concurrency` Bundles in flight. Used by bench/run.ts and
 * bench/ingest-quick.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildServer } from './processes';

const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

export async function ingest(
  server: Pick<ChildServer, 'origin'>,
  files: string[],
  concurrency: number,
): Promise<{ resources: number; seconds: number; failures: number; errors: string[] }> {
  let nextFile = 0;
  let resources = 0;
  let failures = 0;
  const errors: string[] = [];
  const started = performance.now();
  let lastLog = started;
  // Phase 1 (the education library) commits before phase 2 (patient data) starts: the server
  // checks every QuestionnaireResponse against its stored Questionnaire.
  const phases = [
    files.filter((f) => path.basename(f).startsWith('bundle-1-')),
    files.filter((f) => !path.basename(f).startsWith('bundle-1-')),
  ];
  let queue: string[] = [];
  const worker = async () => {
    while (nextFile < queue.length) {
      const file = queue[nextFile++];
      const body = await readFile(file);
      const entries = (body.toString('utf8').match(/"request":\{"method":"PUT"/g) ?? []).length;
      const response = await fetch(`${server.origin}/fhir`, {
        method: 'POST',
        headers: {
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          prefer: 'return=minimal',
        },
        body,
        signal: AbortSignal.timeout(300_000),
      });
      const text = await response.text();
      if (!response.ok) {
        failures++;
        if (errors.length < 5)
          errors.push(`${path.basename(file)}: ${response.status} ${text.slice(0, 300)}`);
      } else resources += entries;
      const now = performance.now();
      if (now - lastLog > 15_000) {
        lastLog = now;
        log(
          `  ingested ${resources.toLocaleString('en-US')} resources (${Math.round(resources / ((now - started) / 1000))}/s)`,
        );
      }
    }
  };
  for (const phase of phases) {
    queue = phase;
    nextFile = 0;
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  return { resources, seconds: (performance.now() - started) / 1000, failures, errors };
}
