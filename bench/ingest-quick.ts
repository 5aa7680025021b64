/**
 * Ingest only, for A/B comparisons of write speed: a fresh database (PostgreSQL or PGlite), our
 * server as a child process (started as `npm start` starts it), the library's transaction Bundles
 * posted as bench/run.ts does.
 *
 *   npx tsx bench/ingest-quick.ts [--size 10k] [--engine postgres|pglite] [--concurrency 2]
 *                                 [--bundles N] [--library-only] [--cpu-prof] [--keep] [--postgres-url URL]
 *
 * `--bundles N` posts only the first N Bundles of each phase; `--cpu-prof` writes the server's
 * CPU profile to bench/.data/profiles (summarise it with bench/profile-summary.ts); `--keep`
 * keeps the PostgreSQL database (or PGlite directory) and prints where it is, for EXPLAIN and
 * auto_explain afterwards (run `VACUUM ANALYZE` first, as the suite does; drop it when done).
 * Besides resources/s it prints the CPU time the server used per resource (/proc/<pid>/stat),
 * which other work on the machine changes much less than the wall-clock rate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSize, planLibrary, writeLibraryFiles } from './generate-library';
import { ingest } from './ingest';
import { createDatabase, dropDatabase, DATABASE_PREFIX } from './postgres-admin';
import { cpuSeconds, freePort, postgresCpuSeconds, killAllChildren, startChild, startScriptNodeArgs } from './processes';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const total = parseSize(option('size', '10k'));
  const engine = option('engine', 'postgres');
  const concurrency = Number(option('concurrency', '2'));
  const limit = Number(option('bundles', 'Infinity'));
  const postgresUrl = option('postgres-url', 'postgres://postgres@127.0.0.1:5432/postgres');
  const cpuProf = process.argv.includes('--cpu-prof');
  const keep = process.argv.includes('--keep');
  const plan = planLibrary({ total, seed: 'bench', patientShare: 0.8 });
  const library = await writeLibraryFiles(plan);
  // `--library-only`: the education library's Bundles alone (phase 1 of bench/ingest.ts).
  const prefixes = process.argv.includes('--library-only') ? ['bundle-1-'] : ['bundle-1-', 'bundle-2-'];
  const files = prefixes.flatMap((prefix) =>
    library.files.filter((f) => path.basename(f).startsWith(prefix)).slice(0, limit),
  );

  const name = `${DATABASE_PREFIX}ingest_quick_${process.pid}`;
  let pgliteDir: string | undefined;
  const databaseUrl = engine === 'postgres' ? await createDatabase(postgresUrl, name) : undefined;
  if (engine !== 'postgres') pgliteDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-quick-'));
  const port = await freePort();
  const server = await startChild({
    name: `ingest-quick-${engine}`,
    nodeArgs: [
      ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', path.join(__dirname, '.data', 'profiles')] : []),
      ...(await startScriptNodeArgs()),
    ],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: `http://127.0.0.1:${port}/fhir`,
      AUTH: 'off',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      PGLITE_DIR: pgliteDir,
      RATE_LIMIT_PER_MINUTE: '0',
      LOAD_CONTENT: 'true',
    },
    port,
    readyPath: '/readyz',
    timeoutMs: 300_000,
  });
  try {
    const load = os.loadavg()[0];
    const cpuBefore = await cpuSeconds(server.pid);
    const postgresBefore = await postgresCpuSeconds();
    const result = await ingest(server, files, concurrency);
    const cpuMs = ((await cpuSeconds(server.pid)) - cpuBefore) * 1000;
    const postgresMs = ((await postgresCpuSeconds()) - postgresBefore) * 1000;
    process.stdout.write(
      `${engine} ${plan.label}: ${result.resources} resources in ${result.seconds.toFixed(1)} s = ` +
        `${Math.round(result.resources / result.seconds)} resources/s (${files.length} Bundles, ` +
        `${concurrency} in flight, ${result.failures} failed; 1-minute load ${load.toFixed(2)} before, ` +
        `${os.loadavg()[0].toFixed(2)} after); the server used ${(cpuMs / result.resources).toFixed(2)} ms of CPU per resource` +
        (engine === 'postgres' ? `, PostgreSQL's processes ${(postgresMs / result.resources).toFixed(2)} ms` : '') +
        '\n',
    );
    for (const e of result.errors) process.stdout.write(`  ${e}\n`);
  } finally {
    await server.stop();
    if (keep) process.stdout.write(`kept: ${databaseUrl !== undefined ? `DATABASE_URL=${databaseUrl}` : `PGLITE_DIR=${pgliteDir}`}\n`);
    else if (databaseUrl !== undefined) await dropDatabase(postgresUrl, name);
    else if (pgliteDir !== undefined) await rm(pgliteDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killAllChildren();
  process.exitCode = 1;
});
