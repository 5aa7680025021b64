/**
 * npm run reindex -- [ResourceType]
 *
 * Rebuilds the search indexes of one resource type, or of all, in the configured database
 * (DATABASE_URL or PGLITE_DIR) — after a SearchParameter was added. Shows a progress bar.
 */
import cliProgress from 'cli-progress';
import pino from 'pino';
import { loadConfig } from '../config';
import { isResourceType } from '../fhir/resource-types';
import { openRuntime } from '../app/runtime';
import { reindex } from '../services/reindex-service';

async function main(): Promise<void> {
  const resourceType = process.argv[2];
  if (resourceType === '--help' || resourceType === '-h') {
    process.stdout.write('usage: npm run reindex -- [ResourceType]\n  Rebuilds the search indexes of one resource type, or of all, in the configured database.\n');
    return;
  }
  if (resourceType !== undefined && !isResourceType(resourceType)) {
    process.stderr.write(`"${resourceType}" is not an R4 resource type\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
  const runtime = await openRuntime(config, pino({ level: 'warn' }), { readContent: false });
  const bar = new cliProgress.SingleBar({ format: `reindex ${resourceType ?? 'all types'} [{bar}] {value}/{total}` }, cliProgress.Presets.shades_classic);
  try {
    let started = false;
    const result = await reindex(runtime.ctx.service.repository, runtime.ctx.extractor, resourceType, ({ done, total }) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    });
    bar.stop();
    process.stdout.write(`reindexed ${result.done} resources\n`);
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`reindex failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
