/**
 * npm run load -- <path> [--url <FHIR base>] [--token <bearer>]
 *
 * Loads a directory of FHIR JSON files, a Bundle, or NDJSON. With --url it sends the
 * resources to a running server (batch Bundles of PUT-by-id / POST); without it, it writes
 * straight into the configured database (DATABASE_URL or PGLITE_DIR) through the same
 * validation and indexing as the server. Prints a progress bar and a summary.
 */
import cliProgress from 'cli-progress';
import pino from 'pino';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { loadConfig } from '../config';
import { openRuntime } from '../runtime';
import { loadResources, type LoadSummary } from './load-library';
import { readResources, type ReadItem } from './read-resources';
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

async function loadOverHttp(items: ReadItem[], url: string, token: string | undefined, tick: (n: number) => void): Promise<LoadSummary> {
  const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] };
  const readable = items.filter((i) => i.resource !== undefined);
  for (const i of items) if (!i.resource) summary.rejected.push({ source: i.source, reason: i.error ?? 'unreadable' });
  tick(items.length - readable.length);
  for (let start = 0; start < readable.length; start += BATCH_SIZE) {
    const chunk = readable.slice(start, start + BATCH_SIZE);
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: chunk.map((i): BundleEntry => {
        const r = i.resource as Resource;
        return r.id !== undefined
          ? { resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }
          : { resource: r, request: { method: 'POST', url: r.resourceType } };
      }),
    };
    const response = await fetch(url.replace(/\/$/, ''), {
      method: 'POST',
      // Only the entries' statuses and outcomes are read: no need to send the resources back.
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(bundle),
    });
    const body = (await response.json()) as Bundle;
    if (!response.ok || body.resourceType !== 'Bundle') {
      for (const i of chunk) summary.rejected.push({ source: i.source, reason: `server answered ${response.status}` });
    } else {
      (body.entry ?? []).forEach((e, k) => {
        const status = e.response?.status ?? '';
        if (status.startsWith('201')) summary.created++;
        else if (status.startsWith('200')) {
          const outcome = e.response?.outcome as { issue?: { diagnostics?: string }[] } | undefined;
          if (outcome?.issue?.[0]?.diagnostics?.startsWith('unchanged')) summary.unchanged++;
          else summary.updated++;
        } else {
          const outcome = e.response?.outcome as { issue?: { diagnostics?: string }[] } | undefined;
          summary.rejected.push({ source: chunk[k].source, reason: outcome?.issue?.map((x) => x.diagnostics).join('; ') ?? status });
        }
      });
    }
    tick(chunk.length);
  }
  return summary;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const items = await readResources(args.path);
  const bar = new cliProgress.SingleBar({ format: 'loading [{bar}] {value}/{total} resources' }, cliProgress.Presets.shades_classic);
  bar.start(items.length, 0);
  let summary: LoadSummary;
  if (args.url) {
    let done = 0;
    summary = await loadOverHttp(items, args.url, args.token, (n) => bar.update((done += n)));
  } else {
    const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
    const runtime = await openRuntime(config, pino({ level: 'warn' }), { readContent: false });
    try {
      registerSearchParameters(runtime.ctx, items);
      summary = await loadResources(runtime.ctx.service, items, (done) => bar.update(done), (bundle) =>
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
