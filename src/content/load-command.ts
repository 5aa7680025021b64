/**
 * npm run load -- <path> [--url <FHIR base>] [--token <bearer>]
 *
 * Loads a directory of FHIR JSON files, a Bundle, or NDJSON. With --url it sends the
 * resources to a running server (batch Bundles of PUT-by-id / POST); without it, it writes
 * straight into the configured database (DATABASE_URL or PGLITE_DIR) through the same
 * validation and indexing as the server. Prints a progress bar and a summary. Files are read
 * as they load (NDJSON line by line), so a file of any size loads in bounded memory.
 */
import cliProgress from 'cli-progress';
import pino from 'pino';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { loadConfig } from '../config';
import { openRuntime } from '../runtime';
import { loadResources, type LoadSummary } from './load-library';
import { streamResources, type ReadItem } from './read-resources';
import { registerSearchParameters } from './load-startup-content';

interface Args {
  path: string;
  url?: string;
  token?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') args.url = argv[++i];
    else if (a === '--token') args.token = argv[++i];
    else if (!a.startsWith('--')) args.path = a;
  }
  if (!args.path) {
    throw new UsageError('usage: npm run load -- <file-or-directory> [--url http://localhost:8080/fhir] [--token TOKEN]');
  }
  return args as Args;
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
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
  process.stdout.write(
    `created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected.length}\n`,
  );
  for (const r of summary.rejected) process.stdout.write(`  rejected ${r.source}: ${r.reason}\n`);
  process.exitCode = summary.rejected.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}
`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}
`);
  process.exitCode = 1;
});
