/**
 * npm run load -- <path> [--url <FHIR base>] [--token <bearer>]
 * npm run load -- --replace-local-edits
 *
 * Loads a directory of FHIR JSON files, a Bundle, or NDJSON. With --url it sends the
 * resources to a running server (batch Bundles of PUT-by-id / POST); without it, it writes
 * straight into the configured database (DATABASE_URL or PGLITE_DIR) through the same
 * validation and indexing as the server. Prints a progress bar and a summary. Files are read
 * as they load (NDJSON line by line), so a file of any size loads in bounded memory.
 * --replace-local-edits loads the library as a start-up does, but writes the files' content
 * over library resources edited through the API since their last load (which start-ups keep).
 */
import cliProgress from 'cli-progress';
import pino from 'pino';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { loadConfig } from '../config';
import { openRuntime } from '../app/runtime';
import { loadResources, type LoadSummary } from '../content/load-library';
import { streamResources, type ReadItem } from '../content/read-resources';
import { loadStartupContent, registerSearchParameters } from '../content/load-startup-content';

interface Args {
  path?: string;
  url?: string;
  token?: string;
  replaceLocalEdits: boolean;
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

const USAGE = `usage: npm run load -- <file-or-directory> [--url http://localhost:8080/fhir] [--token TOKEN]
       npm run load -- --replace-local-edits
  <file-or-directory>      FHIR JSON files, a Bundle, or NDJSON (one resource per line)
  --url, --token           send the resources to a running server instead of writing to the database
  --replace-local-edits    load the library (PROFILES_DIR, CONTENT_DIR) into the database, putting the
                           files' content back over resources edited through the API since their last load`;

function parseArgs(argv: string[]): Args {
  const args: Args = { replaceLocalEdits: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') args.url = argv[++i];
    else if (a === '--token') args.token = argv[++i];
    else if (a === '--replace-local-edits') args.replaceLocalEdits = true;
    else if (a === '--help' || a === '-h') throw new UsageError(USAGE, 0);
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else args.path = a;
  }
  if (args.replaceLocalEdits ? args.path !== undefined || args.url !== undefined : args.path === undefined) throw new UsageError(USAGE);
  return args;
}

const BATCH_SIZE = 100;
/** Times one batch is sent again after a 429 (the server's rate limit). */
const MAX_RATE_LIMIT_RETRIES = 10;

/** Sends one batch Bundle of PUT-by-id / POST entries and counts what the server answered for each. */
async function sendBatch(chunk: { source: string; resource: Resource }[], url: string, token: string | undefined, summary: LoadSummary) {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: chunk.map(({ resource: r }): BundleEntry =>
      r.id !== undefined
        ? { resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }
        : { resource: r, request: { method: 'POST', url: r.resourceType } },
    ),
  };
  const send = () =>
    fetch(url.replace(/\/$/, ''), {
      method: 'POST',
      // Only the entries' statuses and outcomes are read: no need to send the resources back.
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(bundle),
    });
  let response = await send();
  // Each entry counts against the server's rate limit: wait as long as it says, then send again.
  for (let attempt = 0; response.status === 429 && attempt < MAX_RATE_LIMIT_RETRIES; attempt++) {
    await response.arrayBuffer();
    const seconds = Math.min(60, Math.max(1, Number(response.headers.get('retry-after')) || 1));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    response = await send();
  }
  const body = (await response.json()) as Bundle;
  if (!response.ok || body.resourceType !== 'Bundle') {
    for (const i of chunk) summary.rejected.push({ source: i.source, reason: `server answered ${response.status}` });
    return;
  }
  (body.entry ?? []).forEach((e, k) => {
    const status = e.response?.status ?? '';
    const outcome = e.response?.outcome as { issue?: { diagnostics?: string }[] } | undefined;
    if (status.startsWith('201')) summary.created++;
    else if (status.startsWith('200')) {
      if (outcome?.issue?.[0]?.diagnostics?.startsWith('unchanged')) summary.unchanged++;
      else summary.updated++;
    } else {
      summary.rejected.push({ source: chunk[k].source, reason: outcome?.issue?.map((x) => x.diagnostics).join('; ') ?? status });
    }
  });
}

async function loadOverHttp(items: AsyncIterable<ReadItem>, url: string, token: string | undefined, tick: (n: number) => void): Promise<LoadSummary> {
  const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] };
  let chunk: { source: string; resource: Resource }[] = [];
  for await (const item of items) {
    if (!item.resource) {
      summary.rejected.push({ source: item.source, reason: item.error ?? 'unreadable' });
      tick(1);
      continue;
    }
    chunk.push({ source: item.source, resource: item.resource });
    if (chunk.length < BATCH_SIZE) continue;
    await sendBatch(chunk, url, token, summary);
    tick(chunk.length);
    chunk = [];
  }
  if (chunk.length > 0) {
    await sendBatch(chunk, url, token, summary);
    tick(chunk.length);
  }
  return summary;
}

/**
 * A first pass over the input: how many items it holds (for the progress bar) and its
 * SearchParameters, registered before anything is indexed. Reads as it goes, like the load.
 */
async function survey(target: string): Promise<{ total: number; searchParameters: ReadItem[] }> {
  let total = 0;
  const searchParameters: ReadItem[] = [];
  for await (const item of streamResources(target)) {
    total++;
    if (item.resource?.resourceType === 'SearchParameter') searchParameters.push(item);
  }
  return { total, searchParameters };
}

/** The library (profiles/ and content/) loaded as at start-up, with local edits replaced by the files. */
async function replaceLocalEdits(): Promise<void> {
  const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
  const runtime = await openRuntime(config, pino({ level: 'warn' }), { readContent: true });
  try {
    const summary = await loadStartupContent(runtime.ctx, runtime.startupItems, { replaceLocalEdits: true });
    for (const r of summary.replaced) process.stdout.write(`replaced ${r.resource} with ${r.file}\n`);
    report(summary);
  } finally {
    await runtime.close();
  }
}

function report(summary: LoadSummary): void {
  process.stdout.write(
    `created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected.length}\n`,
  );
  for (const r of summary.rejected) process.stdout.write(`  rejected ${r.source}: ${r.reason}\n`);
  process.exitCode = summary.rejected.length > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.path === undefined) return replaceLocalEdits();
  const { total, searchParameters } = await survey(args.path);
  const bar = new cliProgress.SingleBar({ format: 'loading [{bar}] {value}/{total} resources' }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  let summary: LoadSummary;
  if (args.url) {
    let done = 0;
    summary = await loadOverHttp(streamResources(args.path), args.url, args.token, (n) => bar.update((done += n)));
  } else {
    const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
    const runtime = await openRuntime(config, pino({ level: 'warn' }), { readContent: false });
    try {
      registerSearchParameters(runtime.ctx, searchParameters);
      summary = await loadResources(runtime.ctx.service, streamResources(args.path), (done) => bar.update(done), (bundle) =>
        runtime.ctx.bundleService.process(runtime.ctx.service, bundle, 'minimal'),
      );
    } finally {
      await runtime.close();
    }
  }
  bar.stop();
  report(summary);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    (error.exitCode === 0 ? process.stdout : process.stderr).write(`${error.message}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}
`);
  process.exitCode = 1;
});
