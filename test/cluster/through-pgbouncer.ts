/**
 * Runs the integration suite through PgBouncer in transaction mode: builds the throwaway cluster
 * of test/support/pg-cluster.ts, points the tests' DATABASE_URL at its PgBouncer with
 * DATABASE_PREPARED_STATEMENTS=false, runs every file of test/integration but those below, and
 * removes the cluster. `npx tsx test/cluster/through-pgbouncer.ts [test files…]` (part of
 * `npm run test:cluster`); with files given, only those run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startPgCluster } from '../support/pg-cluster';

/**
 * The files left out, each with its reason. Every other file of test/integration runs. These open
 * an embedded PGlite database whatever DATABASE_URL says (they test PGlite itself, or a process
 * started with DATABASE_URL emptied): through PgBouncer they would run exactly as in the PGlite
 * pass of .ci/run, and reach no pooler.
 */
const EXCLUDED: ReadonlyArray<readonly [file: string, reason: string]> = [
  ['test/integration/foundation/pglite-lock.test.ts', 'a PGlite data directory shared by processes (DATABASE_URL emptied)'],
  ['test/integration/store/pglite-shared-buffers.test.ts', "PGlite's shared_buffers setting"],
  ['test/integration/foundation/image-layout.test.ts', "the Docker image's layout, its server started on PGlite (DATABASE_URL emptied)"],
  ['test/integration/web/npm-start-assets.test.ts', '`npm start` on a PGlite data directory (DATABASE_URL emptied)'],
  ['test/integration/web/patient-link-logging.test.ts', 'the log of a server configured on PGlite in the test itself'],
];

async function main(): Promise<number> {
  const given = process.argv.slice(2);
  const files = given.length > 0 ? given : ['test/integration', ...EXCLUDED.flatMap(([file]) => ['--testPathIgnorePatterns', file.replace(/\./g, '\\.')])];
  const cluster = await startPgCluster();
  try {
    const root = path.resolve(__dirname, '..', '..');
    const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    // --forceExit: a test that timed out may leave its server listening; the run then ends, failed, instead of waiting on it.
    const child = spawn(process.execPath, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jest, '--runInBand', '--forceExit', ...files], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: cluster.bouncerUrl('postgres'), DATABASE_PREPARED_STATEMENTS: 'false' },
    });
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    await cluster.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
